"""Pages of the equipment package: the overview and plan, units, the standard, kinds, imports."""

from frontend.equipment.import_pages import import_page_handlers
from frontend.equipment.kind_pages import kind_page_handlers
from frontend.equipment.plan_pages import plan_page_handlers
from frontend.equipment.standard_pages import standard_page_handlers

equipment_page_handlers: list = [*plan_page_handlers, *import_page_handlers, *standard_page_handlers,
                                 *kind_page_handlers]
