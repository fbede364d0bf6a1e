"""``python -m veo_magic.config``: the README's configuration table, made from the declarations."""

from .settings import configuration_table

print(configuration_table())
