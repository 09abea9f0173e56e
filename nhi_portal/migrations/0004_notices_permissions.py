"""The permissions of notices to the immigration bureau (enrollment.notices), given to the roles
as nhi_portal.roles says: clerks and supervisors draft, supervisors approve, supervisors and
auditors read the register."""

from django.db import migrations

from nhi_portal.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_security"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="capability",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("view_people", "住民・ISAデータを閲覧する"),
                    ("import_files", "ファイルを取り込む"),
                    ("run_matching", "突合を実行する"),
                    ("review_matches", "突合結果を審査する"),
                    ("work_cases", "勧奨ケースを処理する"),
                    ("print_letters", "通知書を印刷する"),
                    ("approve_ex_officio", "職権喪失を承認する"),
                    ("view_arrears", "滞納情報を閲覧する"),
                    ("import_receipts", "賦課・収納を取り込む"),
                    ("issue_statements", "納付状況証明を発行する"),
                    ("approve_exports", "外部連携の出力を承認する"),
                    ("export_data", "データを出力する"),
                    ("view_access_log", "閲覧記録を監査する"),
                    ("administer", "システムを管理する"),
                    ("draft_immigration_notices", "入管への通知を作成する"),
                    ("approve_immigration_notices", "入管への通知を承認する"),
                    ("view_immigration_notices", "入管への通知の一覧を閲覧する"),
                ],
            },
        ),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
