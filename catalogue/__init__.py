"""Læremiddelkatalogen: the municipality's catalogue of digital learning resources."""

import os

# Piccolo finds its engine and apps through this module; set it before Piccolo is imported anywhere.
os.environ.setdefault("PICCOLO_CONF", "catalogue.piccolo_conf")
