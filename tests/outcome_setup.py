"""Setting up outcome reporting for tests: the billing world (tests/billing_setup.py) with the
outcome-reporting plugin switched on for the county. Areas add their own helpers below."""

from __future__ import annotations

from tests import billing_setup as bs
from tests import catalogue_setup as cs
from tests.factories import COUNTY, World

PLUGINS = [*bs.PLUGINS, "outcome_reporting"]


def enable(world: World, county: str = COUNTY) -> None:
    bs.put(world, "plugins.enabled", PLUGINS, county)


def ready(world: World) -> cs.Catalogue:
    """:func:`catalogue_setup.ready` (two courses on a published menu) with catalogue, billing and
    outcome reporting switched on."""
    cat = cs.ready(world)
    enable(world)
    return cat
