"""Roles (役割) and the permissions each one holds. Applied by migrations via `sync_role_groups`."""

from __future__ import annotations

CLERK = "clerk"
SUPERVISOR = "supervisor"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"

_CLERK_WORK = [
    "view_people",
    "import_files",
    "run_matching",
    "work_cases",
    "print_letters",
    "view_arrears",
    "import_receipts",
    "issue_statements",
    "export_data",
]

# Notices to the immigration bureau (enrollment.notices): clerks and supervisors write drafts, a
# supervisor who did not write one approves it; supervisors and auditors read the register.
_NOTICE_DRAFT = ["draft_immigration_notices"]
_NOTICE_SUPERVISION = ["approve_immigration_notices", "view_immigration_notices"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CLERK: [*_CLERK_WORK, *_NOTICE_DRAFT],
    SUPERVISOR: [
        *_CLERK_WORK,
        "review_matches",
        "approve_ex_officio",
        "approve_exports",
        *_NOTICE_DRAFT,
        *_NOTICE_SUPERVISION,
    ],
    AUDITOR: ["view_access_log", "view_immigration_notices"],
    ADMINISTRATOR: ["administer", "view_access_log"],
}


def sync_role_groups(apps, schema_editor=None) -> None:
    """Create the four groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    # A migration gives the permissions that exist at its point in history: an earlier migration
    # (0002) runs before a later one declares more (0004 notices), which then gives those.
    declared = {codename for codename, _label in apps.get_model("portal", "Capability")._meta.permissions}
    for role, all_codenames in ROLE_PERMISSIONS.items():
        codenames = [c for c in all_codenames if c in declared]
        group, _ = Group.objects.get_or_create(name=role)
        perms = list(Permission.objects.filter(content_type__app_label="portal", codename__in=codenames))
        missing = set(codenames) - {p.codename for p in perms}
        if missing:
            raise RuntimeError(f"permissions missing for role {role}: {sorted(missing)}")
        group.permissions.set(perms)
