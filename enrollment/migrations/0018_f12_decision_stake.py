"""MatchDecision.stake (重要度) as a column, filled from each explanation's "stake", with a partial
index serving the review queue's order (most at stake first, then oldest first)."""

from django.db import migrations, models

# The waiting decisions' stake, read from their explanation (JSON) in the database itself.
FILL = {
    "postgresql": (
        "UPDATE enrollment_matchdecision SET stake = (explanation->>'stake')::double precision "
        "WHERE status = 'pending_review' AND explanation ? 'stake'"
    ),
    "sqlite": (
        "UPDATE enrollment_matchdecision SET stake = CAST(json_extract(explanation, '$.stake') AS REAL) "
        "WHERE status = 'pending_review' AND json_extract(explanation, '$.stake') IS NOT NULL"
    ),
}


def fill_stake(apps, schema_editor):
    schema_editor.execute(FILL[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0017_letters_welcome_and_reply"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchdecision",
            name="stake",
            field=models.FloatField(default=0.0, verbose_name="重要度"),
        ),
        migrations.RunPython(fill_stake, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="matchdecision",
            index=models.Index(
                condition=models.Q(("status", "pending_review")),
                fields=["municipality", "-stake", "decided_at", "id"],
                name="decision_stake_queue_idx",
            ),
        ),
    ]
