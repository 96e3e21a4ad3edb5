# Written by hand (other changes to the models are pending in the same tree): asset files stored
# under random names, their original name kept for the download, their content checked.
# Files stored before keep their old names and still download through the access-checked view.

import django.core.validators
from django.db import migrations, models

import recovery.lib.files
import recovery.lib.validators


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0002_listing_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="assetfile",
            name="file",
            field=models.FileField(
                upload_to=recovery.lib.files.PrivateUploadTo("assets", name_field="original_name"),
                validators=[
                    django.core.validators.FileExtensionValidator(
                        ["pdf", "jpg", "jpeg", "png", "heic", "tif", "tiff", "docx", "xlsx"]
                    ),
                    recovery.lib.validators.validate_upload_size,
                    recovery.lib.files.FileSignatureValidator(
                        ("pdf", "jpeg", "png", "heic", "tiff", "docx", "xlsx")
                    ),
                ],
                verbose_name="file",
            ),
        ),
        migrations.AddField(
            model_name="assetfile",
            name="original_name",
            field=models.CharField(blank=True, editable=False, max_length=255, verbose_name="file name"),
        ),
    ]
