"""Piccolo's configuration: the apps, and the engine (``DB``) that catalogue.db has bound, which
is the one for DATABASE_URL until the service or a command binds another."""

from piccolo.conf.apps import AppRegistry

from catalogue import db

APP_REGISTRY = AppRegistry(apps=["catalogue.piccolo_app", "workflows.piccolo_app", "equipment.piccolo_app"])


def __getattr__(name: str):
    if name == "DB":
        return db.bound_engine()
    raise AttributeError(name)
