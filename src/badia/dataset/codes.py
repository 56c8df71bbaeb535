"""The anchors people already know: ACLED event types and actor codes, UCDP precision codes.

These pairs and meanings cannot be written in a Table Schema (it has enums, not valid pairs), so
they live here, once, and validate, build and the data dictionary read them from here.
"""

ACLED_EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory", "Non-state actor overtakes territory"),
    "Explosions/Remote violence": (
        "Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED", "Grenade",
    ),
    "Violence against civilians": ("Sexual violence", "Attack", "Abduction/forced disappearance"),
    "Protests": ("Peaceful protest", "Protest with intervention", "Excessive force against protesters"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Strategic developments": (
        "Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
        "Headquarters or base established", "Looting/property destruction",
        "Non-violent transfer of territory", "Other",
    ),
}
EVENT_TYPE_OF = {sub: etype for etype, subs in ACLED_EVENT_TYPES.items() for sub in subs}

ACLED_INTER = {
    1: "State forces", 2: "Rebel groups", 3: "Political militias", 4: "Identity militias",
    5: "Rioters", 6: "Protesters", 7: "Civilians", 8: "External/other forces",
}

# The kinds of actor that may be an actor's parent (actors.parent_actor_id), by the child's kind:
# a state belongs to nobody, a government or national force to a state or government, a person
# to anything but a person. An inverted parent (a command under the coalition it runs) fails it.
_GROUPS = ("armed_group", "militia", "alliance", "coalition", "collective")
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    "state": (),
    "government": ("state", "government"),
    "armed_force": ("state", "government", "armed_force"),
    "armed_group": _GROUPS,
    "militia": _GROUPS + ("state", "government", "armed_force"),
    "alliance": _GROUPS,
    "coalition": ("state", "government", "armed_force", "coalition"),
    "collective": ("collective",),
    "organization": ("state", "government", "organization", "coalition", "alliance", "armed_group"),
    "media": ("media", "organization", "state", "government"),
    "person": ("state", "government", "armed_force", "armed_group", "militia", "alliance", "coalition", "organization", "media", "collective"),
}

# UCDP date_prec -> the widest range (in days, inclusive) that precision can describe.
UCDP_DATE_PREC_MAX_DAYS = {1: 1, 2: 6, 3: 7, 4: 31, 5: 366}
UCDP_DATE_PREC = {1: "exact day", 2: "a span of 2-6 days", 3: "a week", 4: "a month", 5: "a year"}
UCDP_WHERE_PREC = {
    1: "exact place", 2: "area around a named place", 3: "second-order administrative unit",
    4: "first-order administrative unit", 5: "larger area or between two places", 6: "whole country",
    7: "water or airspace",
}
# ACLED time_precision from UCDP date_prec: 1 day, 2 week or less, 3 a month or more.
ACLED_TIME_PRECISION = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3}
# ACLED geo_precision from UCDP where_prec: 1 the named town itself, 2 near it or part of a
# region, 3 a larger area (an admin unit, a stretch between places, the country, water).
ACLED_GEO_PRECISION = {1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 3, 7: 3}
