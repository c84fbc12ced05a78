"""Names, words and places the simulated people and companies are made of."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FIRST_NAMES = np.array(
    [
        "James",
        "Mary",
        "Robert",
        "Patricia",
        "John",
        "Jennifer",
        "Michael",
        "Linda",
        "David",
        "Elizabeth",
        "William",
        "Barbara",
        "Richard",
        "Susan",
        "Joseph",
        "Jessica",
        "Thomas",
        "Sarah",
        "Chris",
        "Karen",
        "Daniel",
        "Lisa",
        "Matthew",
        "Nancy",
        "Anthony",
        "Sandra",
        "Mark",
        "Ashley",
        "Paul",
        "Emily",
        "Steven",
        "Anna",
        "Andrew",
        "Sofia",
        "Lukas",
        "Emma",
        "Noah",
        "Mia",
        "Liam",
        "Olivia",
        "Mateo",
        "Chloe",
        "Arjun",
        "Priya",
        "Wei",
        "Yuki",
        "Omar",
        "Fatima",
        "Lars",
        "Ingrid",
    ]
)
LAST_NAMES = np.array(
    [
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Garcia",
        "Miller",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Lopez",
        "Wilson",
        "Anderson",
        "Taylor",
        "Thomas",
        "Moore",
        "Jackson",
        "Martin",
        "Lee",
        "Thompson",
        "White",
        "Harris",
        "Clark",
        "Lewis",
        "Walker",
        "Young",
        "Allen",
        "King",
        "Wright",
        "Scott",
        "Nguyen",
        "Hill",
        "Green",
        "Adams",
        "Baker",
        "Nelson",
        "Mueller",
        "Schmidt",
        "Rossi",
        "Dubois",
        "Silva",
        "Kowalski",
        "Jansen",
        "Berg",
        "Novak",
        "Tanaka",
        "Patel",
        "Kim",
    ]
)
# company names and domains are a word, a suffix and a number
COMPANY_WORDS = np.array(
    [
        "acme",
        "globex",
        "initech",
        "umbrella",
        "stark",
        "wayne",
        "tyrell",
        "cyber",
        "nimbus",
        "vertex",
        "quantum",
        "apex",
        "summit",
        "nova",
        "orbit",
        "pixel",
        "lumen",
        "atlas",
        "helix",
        "zenith",
        "cobalt",
        "ember",
        "falcon",
        "harbor",
        "ion",
        "jade",
        "kinetic",
        "lotus",
        "matrix",
        "nexus",
        "onyx",
        "prism",
        "quartz",
        "radiant",
        "sierra",
        "titan",
        "ultra",
        "vector",
        "willow",
        "xeno",
        "yonder",
        "zephyr",
    ]
)
COMPANY_SUFFIXES = np.array(
    ["labs", "systems", "software", "analytics", "group", "tech", "cloud", "data"]
)
INDUSTRIES = np.array(
    [
        "Software",
        "Financial Services",
        "Healthcare",
        "Manufacturing",
        "Retail",
        "Education",
        "Media",
        "Logistics",
        "Telecommunications",
        "Energy",
    ]
)
JOB_TITLES = [
    "VP Marketing",
    "Head of Sales",
    "CTO",
    "Data Engineer",
    "Operations Manager",
    "CFO",
    "Product Manager",
    "Director IT",
]
FREE_MAIL_DOMAINS = np.array(["gmail.com", "yahoo.com", "outlook.com", "hotmail.com"])


@dataclass(frozen=True)
class Country:
    name: str
    currency: str
    share: float  # of the accounts


COUNTRIES: tuple[Country, ...] = (
    Country("United States", "USD", 0.55),
    Country("United Kingdom", "GBP", 0.15),
    Country("Germany", "EUR", 0.12),
    Country("France", "EUR", 0.08),
    Country("Netherlands", "EUR", 0.05),
    Country("Canada", "USD", 0.05),
)
