from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0006_timeline_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchrun",
            name="progress_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
