# Written by hand (other changes to the models are pending in the same tree): uploads stored
# under random names, the proof's original name kept for its download, proofs checked by content.
# Files stored before keep their old names and still download through the access-checked views.

import django.core.validators
from django.db import migrations, models

import recovery.lib.files
import recovery.lib.validators


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0009_import_run_liveness"),
    ]

    operations = [
        migrations.AlterField(
            model_name="collectionaction",
            name="proof_file",
            field=models.FileField(
                blank=True,
                help_text="Scan or photo of the signed receipt, postal receipt or screenshot (PDF or image, ≤ 20 MB).",
                upload_to=recovery.lib.files.PrivateUploadTo("proofs", name_field="proof_original_name"),
                validators=[
                    django.core.validators.FileExtensionValidator(
                        ["pdf", "jpg", "jpeg", "png", "heic", "tif", "tiff"]
                    ),
                    recovery.lib.validators.validate_upload_size,
                    recovery.lib.files.FileSignatureValidator(("pdf", "jpeg", "png", "heic", "tiff")),
                ],
                verbose_name="proof of delivery",
            ),
        ),
        migrations.AddField(
            model_name="collectionaction",
            name="proof_original_name",
            field=models.CharField(
                blank=True, editable=False, max_length=255, verbose_name="proof file name"
            ),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="upload",
            field=models.FileField(
                blank=True, upload_to=recovery.lib.files.PrivateUploadTo("imports"), verbose_name="uploaded file"
            ),
        ),
    ]
