"""The matching index's blocking keys become 64-bit hashes with a composite primary key
(municipality, key, resident). The index is derived data: the old keys are dropped together with
the residents' features, so the next match run rebuilds both."""

import django.db.models.deletion
from django.db import migrations, models


def forget_features(apps, schema_editor):
    apps.get_model("enrollment", "ResidentFeatures").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0009_match_chunk_ordering_by_run_id"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forget_features, migrations.RunPython.noop),
        migrations.DeleteModel(name="ResidentMatchKey"),
        migrations.CreateModel(
            name="ResidentMatchKey",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "municipality_id",
                        "key",
                        "resident_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("key", models.BigIntegerField()),
                (
                    "municipality",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.municipality",
                    ),
                ),
                (
                    "resident",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="match_keys",
                        to="enrollment.resident",
                    ),
                ),
            ],
            options={
                "verbose_name": "候補抽出キー",
                "verbose_name_plural": "候補抽出キー",
                "indexes": [models.Index(fields=["resident"], name="matchkey_resident_idx")],
            },
        ),
    ]
