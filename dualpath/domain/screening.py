"""Scored screening instruments (issue #15 item 6): AUDIT (alcohol, 10 items) and DUDIT (drugs, 11 items).

A tool, in the course's sense, is a structure that guides staff through an activity; these two are the
screening instruments used in Danish addiction and psychiatric services. Each is data: its items, each
item's answer options and their points, and the published rule that turns the total into a zone. A
screening's answers are codes only (an item's number and the points of the option chosen), never free text.

Sources (recorded with each instrument, `Instrument.source`, and in the events by `version`):

- AUDIT, the Alcohol Use Disorders Identification Test: T. F. Babor, J. C. Higgins-Biddle, J. B. Saunders,
  M. G. Monteiro, *AUDIT. The Alcohol Use Disorders Identification Test: Guidelines for Use in Primary
  Care*, 2nd ed., World Health Organization, 2001 (WHO/MSD/MSB/01.6a). Items 1–8 score 0–4, items 9–10
  score 0, 2 or 4; total 0–40. Risk zones (ibid., risk levels and their interventions): zone I 0–7
  (alcohol education), zone II 8–15 (simple advice), zone III 16–19 (simple advice plus brief counselling
  and continued monitoring), zone IV 20–40 (referral to a specialist for diagnostic evaluation and
  treatment).
- DUDIT, the Drug Use Disorders Identification Test: A. H. Berman, H. Bergman, T. Palmstierna,
  F. Schlyter, *DUDIT manual*, Karolinska Institutet, 2003; and "Evaluation of the Drug Use Disorders
  Identification Test (DUDIT) in criminal justice and detoxification settings and in a Swedish population
  sample", European Addiction Research 11 (2005) 22–31. Items 1–9 score 0–4, items 10–11 score 0, 2 or 4;
  total 0–44. Cut-offs: drug-related problems at 6 or more for men and 2 or more for women; probable
  heavy dependence on drugs at 25 or more (whatever the sex).

DUDIT's cut-off depends on sex: the sex used is an input of the screening (`cutoff_sex`, "male" or
"female"), chosen by the clinician for this scoring, not read from the patient's identity (the engine
keeps no sex for a patient, and the CPR number stays in the register); the result names the rule applied.

The item texts: the instruments' standard English wording (the sources above) and a Danish working
wording for the staff pages. The Danish texts here follow the Danish versions in use but have not been
checked word for word against an authorised Danish edition: check them before clinical use.

Pure: no I/O; safe in the workflow sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

InstrumentName = Literal["AUDIT", "DUDIT"]
INSTRUMENTS: tuple[str, ...] = ("AUDIT", "DUDIT")
CutoffSex = Literal["male", "female"]
CUTOFF_SEXES: tuple[str, ...] = ("male", "female")


class ScreeningRefused(ValueError):
    """Answers that cannot be scored; the message names the item and what is allowed."""


@dataclass(frozen=True)
class Option:
    points: int  # the option's code in an answer is its points
    text_en: str
    text_da: str


@dataclass(frozen=True)
class Item:
    number: int
    text_en: str
    text_da: str
    options: tuple[Option, ...]

    @property
    def allowed(self) -> tuple[int, ...]:
        return tuple(o.points for o in self.options)


@dataclass(frozen=True)
class Instrument:
    name: str
    version: str
    title_da: str
    source: str
    items: tuple[Item, ...]

    @property
    def max_total(self) -> int:
        return sum(max(i.allowed) for i in self.items)

    def item(self, number: int) -> Item | None:
        return next((i for i in self.items if i.number == number), None)


@dataclass(frozen=True)
class Score:
    """A screening scored: the total, its zone (a code) and the published rule that gave it."""

    instrument: str
    version: str
    total: int
    zone: str
    rule: str


def _options(*texts: tuple[str, str], points: tuple[int, ...] = (0, 1, 2, 3, 4)) -> tuple[Option, ...]:
    return tuple(Option(p, en, da) for p, (en, da) in zip(points, texts, strict=True))


_INJURY_POINTS = (0, 2, 4)

# -- AUDIT (WHO; Babor et al. 2001) -------------------------------------------------------------------

_A_FREQ = _options(
    ("Never", "Aldrig"),
    ("Less than monthly", "Sjældnere end månedligt"),
    ("Monthly", "Månedligt"),
    ("Weekly", "Ugentligt"),
    ("Daily or almost daily", "Dagligt eller næsten dagligt"),
)
_A_YES = _options(
    ("No", "Nej"),
    ("Yes, but not in the last year", "Ja, men ikke inden for det sidste år"),
    ("Yes, during the last year", "Ja, inden for det sidste år"),
    points=_INJURY_POINTS,
)

AUDIT = Instrument(
    name="AUDIT",
    version="WHO-2001",
    title_da="AUDIT (alkohol)",
    source="WHO AUDIT, 2nd ed.: Babor, Higgins-Biddle, Saunders, Monteiro 2001 (WHO/MSD/MSB/01.6a)",
    items=(
        Item(
            1,
            "How often do you have a drink containing alcohol?",
            "Hvor tit drikker du alkohol?",
            _options(
                ("Never", "Aldrig"),
                ("Monthly or less", "Månedligt eller sjældnere"),
                ("2 to 4 times a month", "2-4 gange om måneden"),
                ("2 to 3 times a week", "2-3 gange om ugen"),
                ("4 or more times a week", "4 gange om ugen eller mere"),
            ),
        ),
        Item(
            2,
            "How many drinks containing alcohol do you have on a typical day when you are drinking?",
            "Hvor mange genstande drikker du almindeligvis, når du drikker?",
            _options(
                ("1 or 2", "1-2"),
                ("3 or 4", "3-4"),
                ("5 or 6", "5-6"),
                ("7, 8 or 9", "7-9"),
                ("10 or more", "10 eller flere"),
            ),
        ),
        Item(
            3,
            "How often do you have six or more drinks on one occasion?",
            "Hvor tit drikker du seks genstande eller flere ved samme lejlighed?",
            _A_FREQ,
        ),
        Item(
            4,
            "How often during the last year have you found that you were not able to stop drinking once you had "
            "started?",
            "Hvor tit inden for det sidste år har du ikke kunnet holde op med at drikke, når du først var begyndt?",
            _A_FREQ,
        ),
        Item(
            5,
            "How often during the last year have you failed to do what was normally expected from you because "
            "of drinking?",
            "Hvor tit inden for det sidste år har du ikke gjort det, der normalt forventes af dig, fordi du havde "
            "drukket?",
            _A_FREQ,
        ),
        Item(
            6,
            "How often during the last year have you needed a first drink in the morning to get yourself going "
            "after a heavy drinking session?",
            "Hvor tit inden for det sidste år har du haft brug for en genstand om morgenen for at komme i gang "
            "efter en periode med meget druk?",
            _A_FREQ,
        ),
        Item(
            7,
            "How often during the last year have you had a feeling of guilt or remorse after drinking?",
            "Hvor tit inden for det sidste år har du haft skyldfølelse eller samvittighedsnag efter at have drukket?",
            _A_FREQ,
        ),
        Item(
            8,
            "How often during the last year have you been unable to remember what happened the night before "
            "because you had been drinking?",
            "Hvor tit inden for det sidste år har du ikke kunnet huske, hvad der skete aftenen før, fordi du havde "
            "drukket?",
            _A_FREQ,
        ),
        Item(
            9,
            "Have you or someone else been injured as a result of your drinking?",
            "Er du eller andre kommet til skade som følge af dit drikkeri?",
            _A_YES,
        ),
        Item(
            10,
            "Has a relative or friend or a doctor or another health worker been concerned about your drinking or "
            "suggested you cut down?",
            "Har en slægtning, en ven, en læge eller en anden sundhedsperson været bekymret over dit drikkeri "
            "eller foreslået, at du skærer ned?",
            _A_YES,
        ),
    ),
)

# The WHO risk zones (Babor et al. 2001): the lowest total of each zone.
AUDIT_ZONES: tuple[tuple[int, str], ...] = ((0, "I"), (8, "II"), (16, "III"), (20, "IV"))
AUDIT_RULE = "WHO AUDIT risk zones (Babor et al. 2001): I 0-7, II 8-15, III 16-19, IV 20-40"

# -- DUDIT (Berman et al. 2003, 2005) -----------------------------------------------------------------

_D_FREQ = _options(
    ("Never", "Aldrig"),
    ("Once a month or less often", "En gang om måneden eller sjældnere"),
    ("2-4 times a month", "2-4 gange om måneden"),
    ("2-3 times a week", "2-3 gange om ugen"),
    ("4 times a week or more often", "4 gange om ugen eller oftere"),
)
_D_LAST_YEAR = _options(
    ("Never", "Aldrig"),
    ("Less often than once a month", "Sjældnere end en gang om måneden"),
    ("Every month", "Hver måned"),
    ("Every week", "Hver uge"),
    ("Daily or almost every day", "Dagligt eller næsten hver dag"),
)
_D_YES = _options(
    ("No", "Nej"),
    ("Yes, but not over the past year", "Ja, men ikke inden for det sidste år"),
    ("Yes, over the past year", "Ja, inden for det sidste år"),
    points=_INJURY_POINTS,
)

DUDIT = Instrument(
    name="DUDIT",
    version="Berman-2003",
    title_da="DUDIT (stoffer)",
    source="DUDIT: Berman, Bergman, Palmstierna, Schlyter 2003 (manual, Karolinska Institutet); "
    "Eur Addict Res 2005;11:22-31",
    items=(
        Item(
            1,
            "How often do you use drugs other than alcohol?",
            "Hvor tit bruger du andre stoffer end alkohol?",
            _D_FREQ,
        ),
        Item(
            2,
            "Do you use more than one type of drug on the same occasion?",
            "Bruger du mere end én slags stof ved samme lejlighed?",
            _D_FREQ,
        ),
        Item(
            3,
            "How many times do you take drugs on a typical day when you use drugs?",
            "Hvor mange gange tager du stoffer på en typisk dag, hvor du bruger stoffer?",
            _options(("0", "0"), ("1-2", "1-2"), ("3-4", "3-4"), ("5-6", "5-6"), ("7 or more", "7 eller flere")),
        ),
        Item(
            4,
            "How often are you influenced heavily by drugs?",
            "Hvor tit er du kraftigt påvirket af stoffer?",
            _D_LAST_YEAR,
        ),
        Item(
            5,
            "Over the past year, have you felt that your longing for drugs was so strong that you could not resist it?",
            "Har du inden for det sidste år følt, at din trang til stoffer var så stærk, at du ikke kunne modstå den?",
            _D_LAST_YEAR,
        ),
        Item(
            6,
            "Has it happened, over the past year, that you have not been able to stop taking drugs once you started?",
            "Er det inden for det sidste år sket, at du ikke kunne holde op med at tage stoffer, når du først var "
            "begyndt?",
            _D_LAST_YEAR,
        ),
        Item(
            7,
            "How often over the past year have you taken drugs and then neglected to do something you should "
            "have done?",
            "Hvor tit inden for det sidste år har du taget stoffer og derefter forsømt noget, du skulle have gjort?",
            _D_LAST_YEAR,
        ),
        Item(
            8,
            "How often over the past year have you needed to take a drug the morning after heavy drug use the "
            "day before?",
            "Hvor tit inden for det sidste år har du haft brug for at tage et stof morgenen efter kraftigt "
            "stofbrug dagen før?",
            _D_LAST_YEAR,
        ),
        Item(
            9,
            "How often over the past year have you had guilt feelings or a bad conscience because you used drugs?",
            "Hvor tit inden for det sidste år har du haft skyldfølelse eller dårlig samvittighed, fordi du har "
            "brugt stoffer?",
            _D_LAST_YEAR,
        ),
        Item(
            10,
            "Have you or anyone else been hurt (mentally or physically) because you used drugs?",
            "Er du eller andre kommet til skade (psykisk eller fysisk), fordi du har brugt stoffer?",
            _D_YES,
        ),
        Item(
            11,
            "Has a relative or a friend, a doctor or a nurse, or anyone else, been worried about your drug use "
            "or said to you that you should stop using drugs?",
            "Har en slægtning, en ven, en læge, en sygeplejerske eller en anden været bekymret over dit stofbrug "
            "eller sagt til dig, at du burde stoppe?",
            _D_YES,
        ),
    ),
)

# Berman et al. 2003/2005: drug-related problems from these totals by sex; probable dependence from 25.
DUDIT_PROBLEM_CUTOFF: dict[str, int] = {"male": 6, "female": 2}
DUDIT_DEPENDENCE_CUTOFF = 25
DUDIT_RULE = (
    "DUDIT cut-offs (Berman et al. 2003/2005): drug-related problems at 6 or more for men, 2 or more for women; "
    "probable dependence at 25 or more"
)

BY_NAME: dict[str, Instrument] = {"AUDIT": AUDIT, "DUDIT": DUDIT}

# The zones' names on the pages.
ZONE_NAMES_DA: dict[str, str] = {
    "I": "Zone I (0-7): oplysning om alkohol",
    "II": "Zone II (8-15): enkel rådgivning",
    "III": "Zone III (16-19): rådgivning, kort intervention og opfølgning",
    "IV": "Zone IV (20-40): henvisning til specialiseret udredning og behandling",
    "no_problem": "Under grænsen for stofrelaterede problemer",
    "drug_related_problems": "Stofrelaterede problemer",
    "probable_dependence": "Sandsynlig afhængighed",
}


def instrument(name: str) -> Instrument:
    found = BY_NAME.get(name)
    if found is None:
        raise ScreeningRefused(f"unknown instrument {name!r}: allowed are {', '.join(INSTRUMENTS)}")
    return found


def check_answers(inst: Instrument, answers: list[tuple[int, int]]) -> dict[int, int]:
    """The answers (item number, points of the option chosen) by item, when every item of `inst` is answered
    exactly once with one of its options; else ScreeningRefused naming the item and the allowed values."""
    numbers = [i.number for i in inst.items]
    by_item: dict[int, int] = {}
    for number, points in answers:
        item = inst.item(number)
        if item is None:
            raise ScreeningRefused(f"{inst.name} has no item {number}: the items are {numbers[0]} to {numbers[-1]}")
        if number in by_item:
            raise ScreeningRefused(f"{inst.name} item {number} is answered more than once: answer each item once")
        if points not in item.allowed:
            raise ScreeningRefused(
                f"{inst.name} item {number}: {points} is not an allowed answer; "
                f"allowed: {', '.join(map(str, item.allowed))}"
            )
        by_item[number] = points
    missing = [n for n in numbers if n not in by_item]
    if missing:
        raise ScreeningRefused(
            f"{inst.name} item{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} not answered: "
            f"every item {numbers[0]} to {numbers[-1]} needs an answer"
        )
    return by_item


def zone(name: str, total: int, cutoff_sex: str | None = None) -> tuple[str, str]:
    """The zone of a total by the instrument's published rule, and that rule as recorded."""
    if name == "AUDIT":
        if cutoff_sex is not None:
            raise ScreeningRefused("AUDIT's WHO zones do not depend on sex: leave cutoff_sex out for AUDIT")
        return next(z for low, z in reversed(AUDIT_ZONES) if total >= low), AUDIT_RULE
    if name == "DUDIT":
        if cutoff_sex not in DUDIT_PROBLEM_CUTOFF:
            raise ScreeningRefused(
                "DUDIT's cut-off depends on sex: cutoff_sex is required, allowed: " + ", ".join(CUTOFF_SEXES)
            )
        problems = DUDIT_PROBLEM_CUTOFF[cutoff_sex]
        who = "men" if cutoff_sex == "male" else "women"
        rule = (
            f"DUDIT cut-offs for {who} (Berman et al. 2003/2005): drug-related problems at {problems} or more, "
            f"probable dependence at {DUDIT_DEPENDENCE_CUTOFF} or more"
        )
        if total >= DUDIT_DEPENDENCE_CUTOFF:
            return "probable_dependence", rule
        return ("drug_related_problems" if total >= problems else "no_problem"), rule
    raise ScreeningRefused(f"unknown instrument {name!r}: allowed are {', '.join(INSTRUMENTS)}")


def score(name: str, answers: list[tuple[int, int]], cutoff_sex: str | None = None) -> Score:
    """Validate the answers and score them: the total and the zone by the instrument's published rule."""
    inst = instrument(name)
    by_item = check_answers(inst, answers)
    total = sum(by_item.values())
    found, rule = zone(inst.name, total, cutoff_sex)
    return Score(instrument=inst.name, version=inst.version, total=total, zone=found, rule=rule)
