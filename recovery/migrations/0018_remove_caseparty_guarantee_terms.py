"""The guarantee terms now live on each loan link (LoanParty): one source of truth."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recovery", "0017_loan_party_links"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='caseparty',
            name='guarantee_months',
        ),
        migrations.RemoveField(
            model_name='caseparty',
            name='guarantee_type',
        ),
    ]
