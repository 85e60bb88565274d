from odoo import api, models
from odoo.exceptions import AccessError


class EmsSecretFieldsMixin(models.AbstractModel):
    """Credentials that never reach a browser, not even an administrator's.

    The fields named in ``_secret_fields`` cannot become a group header, a filter that
    tests guesses, a sort order, an aggregate or an export column, and the field lists the
    web client builds its menus from (custom filter, custom group, export, pivot) do not
    offer them. Internal code running as superuser (e.g. the webhook finding its interface
    by token) still searches them.
    """

    _name = "ems.secret.fields.mixin"
    _description = "Fields holding credentials"
    _secret_fields = frozenset()

    def _secret_refused_message(self):
        return self.env._(
            "The API password and the webhook credentials cannot be exported, searched, "
            "sorted or grouped by."
        )

    def _check_not_secret(self, spec):
        field_name = (spec or "").split(":")[0].split(".")[0].strip()
        if field_name in self._secret_fields and not self.env.su:
            raise AccessError(self._secret_refused_message())

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        result = super().fields_get(allfields, attributes)
        for name in self._secret_fields & set(result):
            description = result[name]
            for flag in ("searchable", "sortable", "groupable", "exportable"):
                if attributes is None or flag in attributes:
                    description[flag] = False
            description.pop("aggregator", None)
        return result

    def _condition_to_sql(self, alias, fname, operator, value, query):
        self._check_not_secret(fname)
        return super()._condition_to_sql(alias, fname, operator, value, query)

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        self._check_not_secret(field_name)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_groupby(self, groupby_spec, query):
        self._check_not_secret(groupby_spec)
        return super()._read_group_groupby(groupby_spec, query)

    def _read_group_select(self, aggregate_spec, query):
        self._check_not_secret(aggregate_spec)
        return super()._read_group_select(aggregate_spec, query)
