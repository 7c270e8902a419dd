"""Name and address pools, and Synthea's habit of appending digits to names.

Synthea writes names like ``Maynard46 Mosciski958``: a real name plus 1-3 digits, so no
synthetic person is mistaken for a real one. Payers in the partner claims files carry the
name without digits (a payer's enrollment system never had them); identity resolution
therefore compares names with digits removed.
"""

from __future__ import annotations

import random

MALE_FIRST_NAMES = (
    "James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry",
    "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle",
    "Walter", "Ethan", "Jeremy", "Harold", "Keith", "Christian", "Roger", "Noah", "Gerald", "Carl",
    "Terry", "Sean", "Austin", "Arthur", "Lawrence", "Jesse", "Dylan", "Bryan", "Joe", "Jordan",
    "Billy", "Bruce", "Albert", "Willie", "Gabriel", "Logan", "Alan", "Juan", "Wayne", "Roy",
    "Ralph", "Randy", "Eugene", "Vincent", "Russell", "Elijah", "Louis", "Bobby", "Philip", "Johnny",
    "Maynard", "Curt", "Lindsay", "Keenan", "Dewey", "Lewis", "Hai", "Jarvis", "Amos", "Noe",
    "Fredric", "Caleb", "Werner", "Gene", "Victor", "Octavio", "Jerold", "Burt", "Antwan", "Garry",
)  # fmt: skip

FEMALE_FIRST_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
    "Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen",
    "Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather",
    "Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina",
    "Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria",
    "Teresa", "Ann", "Sara", "Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail", "Alice",
    "Judy", "Sophia", "Grace", "Denise", "Amber", "Doris", "Marilyn", "Danielle", "Beverly", "Isabella",
    "Theresa", "Diana", "Natalie", "Brittany", "Charlotte", "Marie", "Kayla", "Alexis", "Lori", "Rosalia",
    "Jackie", "Jetta", "Tess", "Romona", "Jovan", "Trish", "Lavonda", "Cathey", "Pearle", "Eugena",
    "Jeannine", "Merle", "Ludivina", "Jodie", "Ashlyn", "Willena", "Damaris", "Marcelene", "Olive", "Ester",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Mosciski", "Schmidt", "Okuneva", "Mann", "DuBuque", "Schmeler", "Olivo", "Ankunding", "Zulauf", "Roberts",
    "Johns", "Moen", "Kerluke", "Ryan", "Conroy", "Reynolds", "Schultz", "Rogahn", "Pacocha", "Prohaska",
    "Jaskolski", "Mante", "Gleichner", "Spinka", "Pagac", "Gerlach", "Steuber", "Noriega", "Wintheiser", "Quigley",
    "Spencer", "Schaefer", "Walker", "Jacobson", "Oberbrunner", "Windler", "Borer", "Blanda", "Mayert", "Pollich",
    "Aguayo", "Hirthe", "Witting", "Nienow", "Rutherford", "Doyle", "Kihn", "Nikolaus", "Ullrich", "Cummerata",
)  # fmt: skip

STREET_NAMES = (
    "Stamm", "Kemmer", "Labadie", "Daniel", "Sawayn", "Rowe", "Howe", "Dibbert", "Kris", "Stoltenberg",
    "Stehr", "Rodriguez", "Olson", "Johnson", "Weissnat", "Schiller", "Farrell", "Effertz", "Hermann", "Wilkinson",
    "Schuppe", "Predovic", "Hintz", "Bogisich", "Heathcote", "Hyatt", "Mertz", "Raynor", "Maple", "Oak",
    "Cedar", "Elm", "Pine", "Walnut", "Chestnut", "Highland", "Washington", "Lincoln", "Franklin", "Prospect",
)  # fmt: skip

STREET_SUFFIXES = (
    "Lock", "Neck", "Underpass", "Union", "Throughway", "Light", "Landing", "Ville", "Dam", "Vale",
    "Junction", "Ramp", "Glen", "Hollow", "Promenade", "Rue", "Trail", "Crossroad", "Terrace", "Manor",
    "Wall", "Divide", "Overpass", "Street", "Avenue", "Road", "Lane", "Court", "Way", "Circle",
)  # fmt: skip

# Common nicknames are not used: the partner-claims noise is typos and swapped parts.


def synthea_name(name: str, rng: random.Random) -> str:
    """``Maynard`` -> ``Maynard46``: Synthea's 1-3 digit suffix."""
    return f"{name}{rng.randint(1, 999)}"


def street_address(rng: random.Random) -> str:
    """``784 Stamm Lock Unit 46``-style address line."""
    line = f"{rng.randint(100, 1099)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
    draw = rng.random()
    if draw < 0.15:
        line += f" Unit {rng.randint(1, 99)}"
    elif draw < 0.3:
        line += f" Apt {rng.randint(1, 99)}"
    elif draw < 0.4:
        line += f" Suite {rng.randint(1, 99)}"
    return line


def strip_digits(name: str) -> str:
    return "".join(ch for ch in name if not ch.isdigit())
