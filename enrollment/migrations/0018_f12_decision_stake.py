"""MatchDecision.stake (重要度) as a column, filled from each explanation's "stake", with a partial
index serving the review queue's order (most at stake first, then oldest first)."""

from django.db import migrations, models


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
        migrations.RunSQL(
            sql=(
                "UPDATE enrollment_matchdecision SET stake = (explanation->>'stake')::double precision "
                "WHERE status = 'pending_review' AND explanation ? 'stake'"
            ),
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="matchdecision",
            index=models.Index(
                condition=models.Q(("status", "pending_review")),
                fields=["municipality", "-stake", "decided_at", "id"],
                name="decision_stake_queue_idx",
            ),
        ),
    ]
