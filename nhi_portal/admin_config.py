"""django.contrib.admin with the portal's own site (nhi_portal.admin_site.PortalAdminSite)."""

from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "nhi_portal.admin_site.PortalAdminSite"
