"""The uploaded catalogue spreadsheets: checked in a dry run on the page, applied when confirmed."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Bytea, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from catalogue.tables import AppUser


class ResourceSheetImport(Table, tablename="resource_sheet_import"):
    """One uploaded sheet, its dry run's rows (what each would do) and whether it was applied."""

    filename = Varchar(length=255)
    sha256 = Varchar(length=64)
    content = Bytea()
    in_use = Boolean(default=False)
    plan = JSON(default="{}")
    status = Varchar(length=16)  # checked, invalid, applied
    uploaded_by = ForeignKey(references=AppUser, on_delete=OnDelete.set_null, null=True, default=None)
    uploaded_by_label = Varchar(length=200, default="")
    created_at = Timestamptz()
    applied_at = Timestamptz(null=True, default=None)


TABLES = (ResourceSheetImport,)
