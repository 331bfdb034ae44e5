"""Contexts (templates): the surface vocabulary a dependency graph is told in.

A template only supplies words. Graph structure, values and sentence shapes are shared, so any
graph renders in any template with identical structure (paper.md section 2: contexts A, B, C).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    name: str  # public name, e.g. "animals-zoo"
    letter: str  # the paper's label: A, B or C
    category: str  # what a "total" counts, e.g. "animal"
    preposition: str  # "in" / "at": how an entity is tied to a location
    entities: tuple[str, ...]  # entity kinds (quantities are entity counts at locations)
    locations: tuple[str, ...]


ANIMALS_ZOO = Template(
    name="animals-zoo",
    letter="A",
    category="animal",
    preposition="in",
    entities=(
        "adult lion", "adult tiger", "adult parrot", "adult eagle", "adult wolf", "adult fox",
        "adult bear", "adult owl", "adult deer", "adult zebra", "adult giraffe", "adult camel",
        "adult penguin", "adult otter", "adult badger", "adult rabbit", "adult hippo", "adult panda",
        "adult koala", "adult monkey",
    ),
    locations=(
        "Cedar Valley", "Pine Ridge", "Maple Creek", "Oak Hollow", "Silver Lake", "Bramble Wood",
        "Elm Grove", "Stone Harbor", "Willow Bend", "Fox Meadow", "Birch Hill", "Clear Springs",
        "Red Canyon", "Mist Falls", "Sun Prairie", "Iron Bay",
    ),
)

TEACHERS_SCHOOL = Template(
    name="teachers-school",
    letter="B",
    category="teacher",
    preposition="at",
    entities=(
        "algebra teacher", "geometry teacher", "calculus teacher", "physics teacher",
        "chemistry teacher", "biology teacher", "history teacher", "geography teacher",
        "music teacher", "art teacher", "drama teacher", "latin teacher", "french teacher",
        "spanish teacher", "poetry teacher", "economics teacher", "robotics teacher",
        "statistics teacher", "logic teacher", "astronomy teacher",
    ),
    locations=(
        "Riverside High", "Hillcrest Academy", "Lakeview School", "Northgate College",
        "Westbrook High", "Eastwood Academy", "Summit School", "Harbor View College",
        "Greenfield High", "Brookside Academy", "Fairmont School", "Kingsley College",
        "Ashford High", "Meadowlark Academy", "Crestwood School", "Bayside College",
    ),
)

MOVIE_FESTIVAL = Template(
    name="movie-festival",
    letter="C",
    category="movie",
    preposition="at",
    entities=(
        "comedy movie", "drama movie", "horror movie", "thriller movie", "western movie",
        "musical movie", "mystery movie", "romance movie", "fantasy movie", "animated movie",
        "documentary movie", "crime movie", "war movie", "sports movie", "noir movie",
        "adventure movie", "satire movie", "biopic movie", "heist movie", "silent movie",
    ),
    locations=(
        "Golden Reel Festival", "Harbor Lights Festival", "Northern Star Festival",
        "Blue Canyon Festival", "Silver Screen Festival", "Lakeside Film Festival",
        "Midnight Sun Festival", "Crimson Gate Festival", "Open Sky Festival", "Old Town Festival",
        "River Bend Festival", "Palm Coast Festival", "Granite Peak Festival", "Iron Bridge Festival",
        "Willow Park Festival", "Coral Bay Festival",
    ),
)

TEMPLATES: dict[str, Template] = {t.name: t for t in (ANIMALS_ZOO, TEACHERS_SCHOOL, MOVIE_FESTIVAL)}
TEMPLATE_BY_LETTER: dict[str, Template] = {t.letter: t for t in TEMPLATES.values()}


def get_template(name: str) -> Template:
    """Look a template up by name ('animals-zoo') or paper letter ('A'); clear error otherwise."""
    if isinstance(name, str):
        if name in TEMPLATES:
            return TEMPLATES[name]
        if name in TEMPLATE_BY_LETTER:
            return TEMPLATE_BY_LETTER[name]
    allowed = ", ".join(f"{t.name} ({t.letter})" for t in TEMPLATES.values())
    raise ValueError(f"unknown template {name!r}; allowed: {allowed}")
