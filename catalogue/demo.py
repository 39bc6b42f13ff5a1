"""Demo data: invented units, resources and one user per role. Loaded once per database."""

from __future__ import annotations

import json
from importlib import resources as package_files

import msgspec

from catalogue.db import write_transaction
from catalogue.domain import ROLE_LABELS, Role
from catalogue.resources import create_resource, now
from catalogue.schemas import ResourceCreate, UnitCreate
from catalogue.security.access import Principal
from catalogue.tables import AppMeta, Unit
from catalogue.users import add_unit, ensure_user, grant_role

DEMO_ISSUER = "demo"
MARKER = "demo_data_loaded"
SEEDER = Principal(user_id=0, name="demodata")

# One demo user per role, with the units an ICT mentor or teacher belongs to.
DEMO_USERS = [
    ("demo-staff", "Kari Lærer (demo)", [Role.STAFF], ["nordre-skole"]),
    ("demo-ict-mentor", "Ola IKT-veileder (demo)", [Role.STAFF, Role.ICT_MENTOR], ["nordre-skole"]),
    ("demo-sector-reviewer", "Siri Sektorkontor (demo)", [Role.STAFF, Role.SECTOR_REVIEWER], []),
    ("demo-privacy-reviewer", "Per Personvern (demo)", [Role.STAFF, Role.PRIVACY_REVIEWER], []),
    ("demo-dpo", "Pia Personvernombud (demo)", [Role.STAFF, Role.DPO], []),
    ("demo-tech-approver", "Tor Teknologi (demo)", [Role.STAFF, Role.TECH_APPROVER], []),
    ("demo-admin", "Anne Systemeier (demo)", [Role.STAFF, Role.ADMIN], []),
]


def _load(name: str) -> list[dict]:
    return json.loads(package_files.files("catalogue").joinpath("data", "demo", name).read_text("utf-8"))


async def demo_loaded() -> bool:
    return await AppMeta.exists().where(AppMeta.key == MARKER)


async def seed_demo() -> bool:
    """Load the demo data unless it is already there. Returns True when it was loaded now.
    The catalogue's part and the equipment package's each go in one transaction and are loaded
    once each, so a database made before the equipment package gains its demo data too."""
    from catalogue.curriculum.recorded import seed_demo_aims

    aims = await seed_demo_aims()  # before the resources, which are tagged with aims
    loaded = await _seed_catalogue()
    from equipment.demo import seed_equipment_demo

    return await seed_equipment_demo(DEMO_ISSUER) or loaded or aims


async def _seed_catalogue() -> bool:
    async with write_transaction():
        if await demo_loaded():
            return False
        stamp = now()
        for unit in _load("units.json"):
            body = msgspec.convert(unit, UnitCreate)
            if not await Unit.exists().where(Unit.code == body.code):
                await Unit.insert(Unit(code=body.code, name=body.name, kind=body.kind,
                                       levels=json.dumps(body.levels), address=body.address,
                                       pupil_count=body.pupil_count, active=True,
                                       version=1, created_at=stamp, updated_at=stamp))
        for item in _load("resources.json"):
            item = dict(item)
            status = item.pop("status")
            body = msgspec.convert({**item, "status": "draft"}, ResourceCreate)
            await create_resource(body, SEEDER, is_demo=True, status=status)
        known_units = {r["code"] for r in await Unit.select(Unit.code)}
        for subject, name, roles, units in DEMO_USERS:
            user_id = await ensure_user(DEMO_ISSUER, subject, name)
            for role in roles:
                await grant_role(user_id, role.value, "demodata")
            for unit in units:
                if unit in known_units:
                    await add_unit(user_id, unit)
        await AppMeta.insert(AppMeta(key=MARKER, value=stamp.isoformat()))
    return True


def demo_user_labels() -> list[tuple[str, str, str]]:
    return [(subject, name, ROLE_LABELS[roles[-1]]) for subject, name, roles, _ in DEMO_USERS]
