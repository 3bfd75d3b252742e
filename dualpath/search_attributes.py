"""The custom search attributes operators filter by in the Temporal UI.

They carry process state and pseudonymous ids only — never a CPR number or a
name (search attributes are not encrypted).
"""

from typing import Any, TypeAlias

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

# What a workflow passes to `workflow.upsert_search_attributes`, a list of these: one key's
# `value_set(...)` or `value_unset()`, whatever the key's value type.
Update: TypeAlias = SearchAttributeUpdate[Any]

PATHWAY_KIND = SearchAttributeKey.for_keyword("PathwayKind")
PHASE = SearchAttributeKey.for_keyword("Phase")
LEVEL_OF_CARE = SearchAttributeKey.for_keyword("LevelOfCare")
TARGET_GROUP = SearchAttributeKey.for_int("TargetGroup")
REGION = SearchAttributeKey.for_keyword("Region")
MUNICIPALITY = SearchAttributeKey.for_keyword("Municipality")
REFERRAL_STATUS = SearchAttributeKey.for_keyword("ReferralStatus")
NEXT_DUE = SearchAttributeKey.for_datetime("NextDue")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
REFERRAL_DEADLINE = SearchAttributeKey.for_datetime("ReferralDeadline")

ALL: list[SearchAttributeKey[Any]] = [
    PATHWAY_KIND,
    PHASE,
    LEVEL_OF_CARE,
    TARGET_GROUP,
    REGION,
    MUNICIPALITY,
    REFERRAL_STATUS,
    NEXT_DUE,
    OVERDUE,
    REFERRAL_DEADLINE,
]

_CLI_TYPES = {
    "KEYWORD": "Keyword",
    "INT": "Int",
    "DATETIME": "Datetime",
    "BOOL": "Bool",
    "TEXT": "Text",
    "FLOAT": "Double",
    "KEYWORD_LIST": "KeywordList",
}


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += [
            "--search-attribute",
            f"{key.name}={_CLI_TYPES[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}",
        ]
    return flags
