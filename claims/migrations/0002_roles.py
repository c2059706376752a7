"""The Editors and Reviewers groups with their permissions.

Permissions are normally created after migrations run; they are created here
first so that a fresh database has working roles as soon as it is migrated.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = {
    "sources": {
        "source": ["view", "add", "change"],
        "document": ["view", "add", "change"],
    },
    "claims": {
        "event": ["view", "add", "change"],
        "place": ["view", "add", "change"],
        "claim": ["view", "add", "change", "change_claim_status"],
        "statement": ["view", "add", "change", "delete"],
        "evidence": ["view", "add", "change", "delete"],
        "claimlink": ["view", "add", "change", "delete"],
        "statuschange": ["view"],
    },
}

REVIEWERS_EXTRA = {
    "sources": {"source": ["delete"], "document": ["delete"]},
    "claims": {
        "event": ["delete"],
        "place": ["delete"],
        "claim": ["delete", "publish_claim", "set_final_status"],
    },
}


def codenames(model: str, actions: list[str]) -> list[str]:
    default = {"view", "add", "change", "delete"}
    return [f"{action}_{model}" if action in default else action for action in actions]


def permissions_for(Permission, spec):
    perms = []
    for app_label, models in spec.items():
        for model, actions in models.items():
            for codename in codenames(model, actions):
                perms.append(
                    Permission.objects.get(
                        content_type__app_label=app_label,
                        content_type__model=model,
                        codename=codename,
                    )
                )
    return perms


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor_perms = permissions_for(Permission, EDITORS)
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(editor_perms)
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.set(editor_perms + permissions_for(Permission, REVIEWERS_EXTRA))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Editors", "Reviewers"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sources", "0001_initial"),
        ("claims", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
