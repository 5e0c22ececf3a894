"""Writing the companies and contacts a row names: match existing ones, create the missing."""

from django.db.models import Q
from django.utils.translation import gettext as _

from voronka.accounts.visibility import visible_companies, visible_contacts
from voronka.crm.models import Company, Contact

from .models import ImportKind
from .reading import Row
from .resolving import normalise_word

BATCH_SIZE = 1000


class RowFailure(Exception):
    """A row that cannot be written; the message goes to the report."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column = column
        self.message = message


class PartiesWriter:
    """Companies and contacts of a batch; mixed into RowWriter (uses its caches and job)."""

    hidden_companies: set[int]
    hidden_contacts: set[int]

    def _column_of(self, key: str) -> str:
        index = self.job.mapping.get(key)
        return self.job.headers[index] if index is not None else key

    # -- companies
    @staticmethod
    def _company_keys(values: dict) -> list[tuple]:
        keys = []
        if values.get("external_id_company"):
            keys.append(("ext", values["external_id_company"]))
        if values.get("company_inn"):
            keys.append(("inn", values["company_inn"]))
        if values.get("company_name"):
            keys.append(("name", values["company_name"]))
        return keys

    def _prefetch_companies(self, rows: list[Row], *, update: bool) -> dict[int, Company | None]:
        """The companies the rows may name, by id: instances when they may be updated, else
        only their keys (a deals file names a company; it does not edit it)."""
        inns = {r.values["company_inn"] for r in rows if r.values.get("company_inn")}
        names = {r.values["company_name"] for r in rows if r.values.get("company_name")}
        externals = {
            r.values["external_id_company"] for r in rows if r.values.get("external_id_company")
        }
        if not (inns or names or externals):
            return {}
        found: dict[int, Company | None] = {}
        matches = Company.objects.filter(
            Q(inn__any_of=inns) | Q(name__any_of=names) | Q(external_id__any_of=externals)
        ).order_by("pk")
        if update:
            for company in matches:
                found[company.pk] = company
                self._remember_company(company.pk, company.name, company.inn, company.external_id)
        else:
            for pk, name, inn, external_id in matches.values_list(
                "pk", "name", "inn", "external_id"
            ):
                found[pk] = None
                self._remember_company(pk, name, inn, external_id)
        if found and not self.sees_everything:
            visible = set(
                visible_companies(self.user).filter(pk__in=found).values_list("pk", flat=True)
            )
            self.hidden_companies.update(set(found) - visible)
        return found

    def _remember_company(self, pk: int, name: str, inn: str, external_id: str) -> None:
        if external_id:
            self.companies.setdefault(("ext", external_id), pk)
        if inn:
            self.companies.setdefault(("inn", inn), pk)
        self.companies.setdefault(("name", name), pk)
        if inn:
            self.companies.setdefault(("name-inn", name, inn), pk)
        else:
            self.companies.setdefault(("name-no-inn", name), pk)

    def _match_company(self, values: dict) -> int | None:
        if (
            values.get("external_id_company")
            and ("ext", values["external_id_company"]) in self.companies
        ):
            return self.companies[("ext", values["external_id_company"])]
        if values.get("company_inn"):
            if ("inn", values["company_inn"]) in self.companies:
                return self.companies[("inn", values["company_inn"])]
            # A same-named company without an INN is the same customer; with another INN it is not.
            return self.companies.get(("name-no-inn", values.get("company_name", "")))
        if values.get("company_name"):
            return self.companies.get(("name", values["company_name"]))
        return None

    def _resolve_companies(
        self, rows: list[Row], *, update: bool
    ) -> dict[int, tuple[int | None, str]]:
        """Company id per row line, with 'created'/'updated'/'skipped'; creates the missing."""
        existing = self._prefetch_companies(rows, update=update)
        result: dict[int, tuple[int | None, str]] = {}
        pending: dict[tuple, Company] = {}
        pending_rows: list[tuple[Row, Company]] = []
        for row in rows:
            values = row.values
            if not (values.get("company_name") or values.get("company_inn")):
                result[row.line] = (None, "skipped")
                continue
            pk = self._match_company(values)
            if pk in self.hidden_companies:
                # Matching is by INN, external id or name over all companies, so that a file
                # never duplicates one; writing to or through a company the user cannot see is
                # refused row by row.
                column = "company_inn" if values.get("company_inn") else "company_name"
                raise RowFailure(self._column_of(column), _("Matches a company you cannot see."))
            if pk is not None:
                outcome = "skipped"
                if update and pk in existing:
                    outcome = self._update_company(existing[pk], values)
                result[row.line] = (pk, outcome)
                continue
            key = (
                ("inn", values["company_inn"])
                if values.get("company_inn")
                else ("name", values["company_name"])
            )
            company = pending.get(key)
            if company is None:
                if not values.get("company_name"):
                    raise RowFailure(
                        str(_("Company")), _("No company has this INN; give the company name.")
                    )
                company = Company(
                    name=values["company_name"],
                    inn=values.get("company_inn", ""),
                    owner=values["owner"],
                    external_id=values.get("external_id_company", ""),
                    import_job_id=self.job.pk,
                    custom_fields=(
                        values.get("custom_fields", {})
                        if self.job.kind == ImportKind.COMPANIES
                        else {}
                    ),
                    **{
                        k: values.get(k, "")
                        for k in ("industry", "phone", "email", "website", "address", "notes")
                        if values.get(k)
                    },
                )
                pending[key] = company
                pending_rows.append((row, company))
                result[row.line] = (None, "created")
            else:
                pending_rows.append((row, company))
                result[row.line] = (None, "skipped")
        if pending:
            Company.objects.bulk_create(list(pending.values()), batch_size=BATCH_SIZE)
            for key, company in pending.items():
                self.companies[key] = company.pk
                self.companies.setdefault(("name", company.name), company.pk)
                if not company.inn:
                    self.companies.setdefault(("name-no-inn", company.name), company.pk)
            for row, company in pending_rows:
                result[row.line] = (company.pk, result[row.line][1])
        return result

    def _update_company(self, company: Company, values: dict) -> str:
        changed = []
        for key, attribute in (
            ("company_name", "name"), ("company_inn", "inn"), ("industry", "industry"), ("phone", "phone"),
            ("email", "email"), ("website", "website"), ("address", "address"), ("notes", "notes"),
        ):  # fmt: skip
            if self.job.kind == ImportKind.DEALS and key not in {"company_inn"}:
                continue  # a deals file names the company; it does not edit it
            if self.job.kind == ImportKind.CONTACTS:
                continue
            new = values.get(key)
            if new and getattr(company, attribute) != new:
                setattr(company, attribute, new)
                changed.append(attribute)
        if not changed:
            return "skipped"
        company.save(update_fields=[*changed, "updated_at"])
        return "updated"

    def _write_companies(self, rows: list[Row]) -> list[str]:
        for row in rows:
            row.values["external_id_company"] = row.values.get("external_id", "")
        resolved = self._resolve_companies(rows, update=self.update)
        return [resolved[row.line][1] for row in rows]

    # -- contacts
    @staticmethod
    def _split_name(values: dict) -> tuple[str, str]:
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if not (first or last) and values.get("contact_name"):
            parts = values["contact_name"].split()
            if len(parts) == 1:
                return parts[0], ""
            # «Иванов Иван Иванович»: surname first in Russian lists; «Ivan Ivanov» otherwise.
            if len(parts) >= 3 or any("а" <= ch.lower() <= "я" for ch in parts[0]):
                return " ".join(parts[1:]), parts[0]
            return parts[0], " ".join(parts[1:])
        return first, last

    def _contact_keys(self, company_id, values: dict) -> list[tuple]:
        keys = []
        if values.get("external_id_contact"):
            keys.append(("ext", values["external_id_contact"]))
        if values.get("email"):
            keys.append(("email", company_id, values["email"].lower()))
        if values.get("phone"):
            keys.append(("phone", company_id, _digits(values["phone"])))
        first, last = self._split_name(values)
        if first or last:
            keys.append(("name", company_id, normalise_word(f"{first} {last}")))
        return keys

    def _resolve_contacts(
        self, rows: list[Row], company_ids: dict[int, int | None], *, update: bool
    ):
        wanted = [r for r in rows if r.values.get("contact_name") or r.values.get("first_name")
                  or r.values.get("last_name") or r.values.get("email") or r.values.get("phone")]  # fmt: skip
        result: dict[int, tuple[int | None, str]] = {r.line: (None, "skipped") for r in rows}
        if not wanted:
            return result
        emails = {r.values["email"] for r in wanted if r.values.get("email")}
        phones = {r.values["phone"] for r in wanted if r.values.get("phone")}
        externals = {
            r.values["external_id_contact"] for r in wanted if r.values.get("external_id_contact")
        }
        companies = {company_ids.get(r.line) for r in wanted} - {None}
        query = (
            Q(email__in=emails)
            | Q(phone__in=phones)
            | Q(external_id__in=externals)
            | Q(company_id__in=companies)
        )
        existing = {}
        for contact in Contact.objects.filter(query).order_by("pk"):
            existing[contact.pk] = contact
            for key in self._contact_keys(
                contact.company_id,
                {"external_id_contact": contact.external_id, "email": contact.email, "phone": contact.phone,
                 "first_name": contact.first_name, "last_name": contact.last_name},
            ):  # fmt: skip
                self.contacts.setdefault(key, contact.pk)
        if existing and not self.sees_everything:
            visible = set(
                visible_contacts(self.user).filter(pk__in=existing).values_list("pk", flat=True)
            )
            self.hidden_contacts.update(set(existing) - visible)
        pending: dict[tuple, Contact] = {}
        pending_rows = []
        for row in wanted:
            values = row.values
            company_id = company_ids.get(row.line)
            keys = self._contact_keys(company_id, values)
            pk = next((self.contacts[key] for key in keys[:-1] if key in self.contacts), None)
            if pk is None and not (values.get("email") or values.get("phone")) and keys:
                pk = self.contacts.get(keys[-1])
            if pk in self.hidden_contacts:
                column = "email" if values.get("email") else "contact_name"
                raise RowFailure(self._column_of(column), _("Matches a contact you cannot see."))
            if pk is not None:
                outcome = "skipped"
                if update and pk in existing:
                    outcome = self._update_contact(existing[pk], values)
                result[row.line] = (pk, outcome)
                continue
            contact = next((pending[key] for key in keys if key in pending), None)
            if contact is None:
                first, last = self._split_name(values)
                if not first:
                    first, last = last or values.get("email") or values.get("phone"), ""
                contact = Contact(
                    company_id=company_id,
                    first_name=first[:100],
                    last_name=last[:100],
                    position=values.get("position", ""),
                    phone=values.get("phone", ""),
                    email=values.get("email", ""),
                    notes=values.get("notes", "") if self.job.kind == ImportKind.CONTACTS else "",
                    owner=values["owner"],
                    external_id=values.get("external_id_contact", ""),
                    import_job_id=self.job.pk,
                )
                for key in keys:
                    pending[key] = contact
                result[row.line] = (None, "created")
            else:
                result[row.line] = (None, "skipped")
            pending_rows.append((row, contact))
        unique = list({id(contact): contact for contact in pending.values()}.values())
        if unique:
            Contact.objects.bulk_create(unique, batch_size=BATCH_SIZE)
            for key, contact in pending.items():
                self.contacts[key] = contact.pk
            for row, contact in pending_rows:
                result[row.line] = (contact.pk, result[row.line][1])
        return result

    def _update_contact(self, contact: Contact, values: dict) -> str:
        changed = []
        first, last = self._split_name(values)
        for attribute, new in (
            ("first_name", first), ("last_name", last), ("position", values.get("position")),
            ("phone", values.get("phone")), ("email", values.get("email")),
        ):  # fmt: skip
            if new and getattr(contact, attribute) != new:
                setattr(contact, attribute, new)
                changed.append(attribute)
        if not changed:
            return "skipped"
        contact.save(update_fields=[*changed, "updated_at"])
        return "updated"

    def _write_contacts(self, rows: list[Row]) -> list[str]:
        for row in rows:
            row.values["external_id_contact"] = row.values.get("external_id", "")
        companies = self._resolve_companies(rows, update=False)
        company_ids = {line: pk for line, (pk, _outcome) in companies.items()}
        contacts = self._resolve_contacts(rows, company_ids, update=self.update)
        return [contacts[row.line][1] for row in rows]


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())[-10:]
