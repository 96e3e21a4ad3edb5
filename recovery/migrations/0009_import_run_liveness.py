# Written by hand (other changes to the models are pending in the same tree): the fields that
# let a stalled hand-over import be noticed, the count of its problems, and "discarded".

from django.db import migrations, models


def count_kept_problems(apps, schema_editor):
    """Runs from before the count: their problems were all kept, so the count is the list's."""
    ImportRun = apps.get_model("recovery", "ImportRun")
    for run in ImportRun.objects.exclude(errors=[]).only("pk", "errors").iterator():
        ImportRun.objects.filter(pk=run.pk).update(error_count=len(run.errors or []))


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0008_import_notice_outcome"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="last progress at"),
        ),
        migrations.AddField(
            model_name="importrun",
            name="task_id",
            field=models.CharField(blank=True, max_length=255, verbose_name="task"),
        ),
        migrations.AddField(
            model_name="importrun",
            name="error_count",
            field=models.PositiveIntegerField(default=0, verbose_name="problems found"),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("uploaded", "Uploaded"),
                    ("validating", "Checking"),
                    ("previewed", "Checked, awaiting confirmation"),
                    ("importing", "Importing"),
                    ("done", "Imported"),
                    ("failed", "Failed"),
                    ("discarded", "Discarded"),
                ],
                default="uploaded",
                max_length=12,
                verbose_name="status",
            ),
        ),
        migrations.RunPython(count_kept_problems, migrations.RunPython.noop),
    ]
