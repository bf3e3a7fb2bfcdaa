"""Groups of the counter site and their permissions, granted from data migrations."""

from django.contrib.auth.management import create_permissions


def grant(apps, schema_editor, *, group: str, app_label: str, codenames: list[str]) -> None:
    """Gives `group` the listed permissions of `app_label` (creating them if needed)."""
    app_config = apps.get_app_config(app_label)
    # Migration state apps carry no models module; create_permissions only checks it.
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    target, _created = group_model.objects.get_or_create(name=group)
    target.permissions.add(*permission_model.objects.filter(
        content_type__app_label=app_label, codename__in=codenames))
