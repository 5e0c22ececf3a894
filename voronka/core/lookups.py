"""`field__any_of=[…]`: membership in a long list, sent as one parameter.

``__in`` sends one parameter per value, and Django prepares each one: the importer's lookups of
a 10,000-row batch (its companies' INNs and names, its deals' external ids) spent a second of
a 100k-deal import there. ``any_of`` sends the list as one PostgreSQL array (``= ANY(%s)``) or
one JSON array that SQLite unpacks (``IN (SELECT value FROM json_each(%s))``). For text and
integer columns, whose values JSON keeps as they are.
"""

import json

from django.db.models import Field, ForeignObject, Lookup


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False  # the list is prepared value by value below

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", (*lhs_params, values)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(values))


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep lookups of their own
