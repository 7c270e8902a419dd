"""The provider directory: organizations, their locations and practitioners.

Organizations are real Massachusetts facilities as Synthea ships them (names, addresses,
coordinates and ids copied from the OHDSI/dbt-synthea ``organizations.csv`` fixture),
grouped into regions: each patient lives in one region and uses its clinic, urgent care
and hospital; the region's second hospital receives transfers and some readmissions.

The directory does not depend on the seed: the same hospital and practitioner keep the
same ids and NPIs in every generated population, so dimensions built from several runs
agree. Practitioner names are generated (Synthea style: name + digits).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from carelake.generate.ids import directory_uuid, npi_with_check_digit
from carelake.generate.names import FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES, synthea_name


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    lat: float
    lon: float
    phone: str
    kind: str  # hospital | clinic | urgentcare
    location_id: str


@dataclass(frozen=True, slots=True)
class Practitioner:
    id: str
    npi: str
    first: str
    last: str
    gender: str
    specialty: str  # CMS specialty as in Synthea's providers.csv SPECIALITY
    organization: Organization

    @property
    def display(self) -> str:
        return f"Dr. {self.first} {self.last}"


@dataclass(frozen=True, slots=True)
class City:
    name: str
    county: str
    zip: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Region:
    name: str
    hospital: Organization
    second_hospital: Organization
    clinics: tuple[Organization, ...]
    urgent_care: Organization
    cities: tuple[City, ...]


def _org(row: tuple[str, str, str, str, str, float, float, str], kind: str) -> Organization:
    org_id, name, address, city, zip_code, lat, lon, phone = row
    return Organization(
        org_id,
        name,
        address,
        city,
        "MA",
        zip_code,
        lat,
        lon,
        phone,
        kind,
        directory_uuid(f"location:{org_id}"),
    )


_H = {
    "newton": ("3d10019f-c88e-3de5-9916-6107b9c0263d", "NEWTON-WELLESLEY HOSPITAL", "2014 WASHINGTON STREET", "NEWTON", "02462", 42.331876, -71.208402, "6172436000"),
    "winchester": ("f4e7709c-02f6-37ca-aeea-8247d74e88e7", "WINCHESTER HOSPITAL", "41 HIGHLAND AVENUE", "WINCHESTER", "01890", 42.452752, -71.144319, "7817299000"),
    "beverly": ("37c0de84-bcaf-3624-82bf-a89b2ac441b8", "BEVERLY HOSPITAL CORPORATION", "85 HERRICK STREET", "BEVERLY", "01915", 42.556659, -70.84496, "9789223000"),
    "anna_jaques": ("37b4d73f-652d-3033-a16e-d97b9e8b4cda", "ANNA JAQUES HOSPITAL", "25 HIGHLAND AVENUE", "NEWBURYPORT", "01950", 42.812141, -70.886646, "9784631000"),
    "lowell": ("b0e04623-b02c-3f8b-92ea-943fc4db60da", "LOWELL GENERAL HOSPITAL", "295 VARNUM AVENUE", "LOWELL", "01854", 42.638893, -71.322107, "9789376000"),
    "hallmark": ("d692e283-0833-3201-8e55-4f868a9c0736", "HALLMARK HEALTH SYSTEM", "585 LEBANON STREET", "MELROSE", "02176", 42.455723, -71.059019, "7819793000"),
    "morton": ("8ad64ecf-c817-3753-bee7-006a8e662e06", "MORTON HOSPITAL", "88 WASHINGTON STREET", "TAUNTON", "02780", 41.903323, -71.094984, "5088287000"),
    "sturdy": ("5e765f2b-e908-3888-9fc7-df2cb87beb58", "STURDY MEMORIAL HOSPITAL", "211 PARK STREET", "ATTLEBORO", "02703", 41.931653, -71.294503, "5082225200"),
    "falmouth": ("d5117822-5756-389d-9547-891a372d580f", "FALMOUTH HOSPITAL", "67 & 100 TER HEUN DRIVE", "FALMOUTH", "02540", 41.57072, -70.556682, "5085485300"),
    "bid_plymouth": ("b1ddf812-1fdd-3adf-b1d5-32cc8bd07ebb", "BETH ISRAEL DEACONESS HOSPITAL - PLYMOUTH", "275 SANDWICH STREET", "PLYMOUTH", "02360", 41.897892, -70.62403, "5087462000"),
    "franklin": ("fbf6180e-b800-3ebe-b91d-93d0288c400e", "BAYSTATE FRANKLIN MEDICAL CENTER", "164 HIGH STREET", "GREENFIELD", "01301", 42.614671, -72.597063, "4137730211"),
    "cooley": ("49318f80-bd8b-3fc7-a096-ac43088b0c12", "COOLEY DICKINSON HOSPITAL INC THE", "30 LOCUST STREET", "NORTHAMPTON", "01060", 42.327044, -72.67463, "4135822000"),
    "berkshire": ("4f3a530e-a2f7-3de0-9a09-c0a70a9ab894", "BERKSHIRE MEDICAL CENTER INC - 1", "725 NORTH STREET", "PITTSFIELD", "01201", 42.452045, -73.26054, "4134472000"),
    "mercy": ("fd328395-ab1d-35c6-a2d0-d05a9a79cf11", "MERCY MEDICAL CTR", "271 CAREW STREET", "SPRINGFIELD", "01104", 42.115454, -72.539978, "4137489000"),
    "metrowest": ("465de31f-3098-365c-af70-48a071e1f5aa", "METROWEST MEDICAL CENTER", "115 LINCOLN STREET", "FRAMINGHAM", "01701", 42.307905, -71.436196, "5083831000"),
    "milford": ("24cb4eab-6166-3530-bddc-a5a8a14a4fc1", "MILFORD REGIONAL MEDICAL CENTER", "14 PROSPECT STREET", "MILFORD", "01757", 42.158692, -71.521419, "5084731190"),
}  # fmt: skip

_C = {
    "pcp16684": ("d6155326-7127-3791-8031-7704e5d867ce", "PCP16684", "124 WATERTOWN ST", "WATERTOWN", "02472-2599", 42.369451, -71.177925, "781-894-4890"),
    "mt_auburn": ("7fa71098-67c9-349b-9fff-a1e6d2c223f2", "MT AUBURN PROFESSIONAL SERVICES", "355 WAVERLEY OAKS RD", "WALTHAM", "02452-8480", 42.388921, -71.242268, ""),
    "pcp119440": ("9aad70a5-7d3c-3907-8177-b56f43db7005", "PCP119440", "15 MANNING RD", "MIDDLETON", "01949-1526", 42.610513, -71.007118, ""),
    "pcp161669": ("219754e0-e530-3e9d-a496-987d1d7c8705", "PCP161669", "194 CENTRAL ST", "SAUGUS", "01906-2107", 42.468432, -71.013946, ""),
    "lahey": ("6a1edf74-50e2-3f76-8f4b-f856c7baf839", "LAHEY PHYSICIAN COMMUNITY ORGANIZATION I INC", "790 BOSTON RD", "BILLERICA", "01821-5938", 42.559673, -71.260947, "781-505-8700"),
    "mass_express": ("b4f385ce-3f32-3097-9754-4ea83d91f11d", "MASSACHUSETTS EXPRESS CARE PLLC", "106 NEW STATE HWY", "RAYNHAM", "02767-5446", 41.930477, -71.046214, "781-626-5500"),
    "pcp27719": ("271b5492-bf28-368c-bbf4-292a532bd090", "PCP27719", "57 RT", "ORLEANS", "02653-2409", 41.76935, -69.969034, "508-237-5571"),
    "pcp298043": ("8d64552e-b21e-3da0-8129-e1c6d79ba429", "PCP298043", "23 A2 WHITE'S PATH", "S YARMOUTH", "02664", 41.667083, -70.200793, "774-207-8023"),
    "pcp15785": ("438a54db-5c75-3b76-9357-9028a57babc4", "PCP15785", "356 MONTAGUE CITY RD", "TURNERS FALLS", "01376-1830", 42.597445, -72.555278, "413-773-0009"),
    "pcp74870": ("901b8ebe-f338-3aa4-8cce-5fe855e466c2", "PCP74870", "1200 CONVERSE ST", "LONGMEADOW", "01106-1760", 42.047565, -72.57113, "413-567-6860"),
    "pcp7483": ("973e7384-d05b-32ad-a8cc-c39191ee9150", "PCP7483", "152 N ST", "PITTSFILED", "01201", 42.452045, -73.26054, "413-443-8480"),
    "charles_river": ("326cf4da-678f-3c88-b807-0231e99cca68", "CHARLES RIVER MEDICAL ASSOCIATES, PC", "20 HOMER AVE", "ASHLAND", "01721-1752", 42.257755, -71.473526, "508-881-5590"),
    "pcp167800": ("18c9efe7-ec0e-3c35-b58d-738000e2036e", "PCP167800", "44 RIVULET ST", "UXBRIDGE", "01569-3134", 42.061166, -71.643628, ""),
}  # fmt: skip

_U = {
    "waltham": ("d672f853-e2a5-324e-98fa-c6d5f8dfc255", "WALTHAM URGENT CARE", "9 HOPE AVENUE", "WALTHAM", "2453", 42.3700513, -71.2490152, "617-243-5591"),
    "prompt_care": ("90cf148c-69ed-3d33-aa86-b509c6b0b25f", "PROMPT CARE WALK-IN CLINIC", "170 GOVERNORS AVENUE", "MEDFORD", "2155", 42.4259086, -71.1113649, "781-306-6180"),
    "carewell": ("ac17850e-9ee0-34aa-86b0-7814530f26e8", "CAREWELL URGENT CARE CENTERS OF MA, PC", "345 MAIN ST", "TEWKSBURY", "01876-1745", 42.612088, -71.227845, "978-851-4683"),
    "route44": ("700056a6-3aea-3efd-8423-a9acbd38a5ea", "ROUTE 44 MEDICAL WALK-IN", "106 UNITED STATES HIGHWAY 44", "RAYNHAM", "2767", 41.9051941, -71.0609995, "508-824-1476"),
    "fontaine": ("98d42012-384f-39d9-b210-cc654b9441f6", "FONTAINE MEDICAL CENTER", "525 LONG POND DRIVE", "HARWICH", "2645", 41.722586, -70.0372004, "508-432-4100"),
    "on_call": ("108ccece-277a-396f-8bf2-1527f74458eb", "ON CALL URGENT CARE CENTER", "51 LOCUST STREET", "NORTHAMPTON", "1060", 42.3323152, -72.6545646, "413-584-7425"),
    "concentra": ("27f06acd-f732-3871-be87-889fef7d9010", "CONCENTRA URGENT CARE - GREENFIELD", "489 BERNARDSTON ROAD", "GREENFIELD", "1301", 42.6087525, -72.5857131, "413-772-5055"),
    "fallon": ("308b5efa-a9c2-3728-b1ff-d29c5f060731", "FALLON CLINIC URGENT CARE", "630 PLANTATION STREET", "WORCESTER", "1605", 42.2925591, -71.7603169, "508-595-2505"),
}  # fmt: skip

_REGION_LAYOUT: tuple[tuple[str, str, str, tuple[str, ...], str, tuple[City, ...]], ...] = (
    ("Boston West", "newton", "winchester", ("pcp16684", "mt_auburn"), "waltham", (
        City("Newton", "Middlesex County", "02462", 42.3370, -71.2092),
        City("Waltham", "Middlesex County", "02453", 42.3765, -71.2356),
        City("Watertown", "Middlesex County", "02472", 42.3709, -71.1828),
        City("Somerville", "Middlesex County", "02143", 42.3876, -71.0995),
        City("Cambridge", "Middlesex County", "02138", 42.3736, -71.1097),
        City("Boston", "Suffolk County", "02130", 42.3097, -71.1151),
    )),
    ("North Shore", "beverly", "anna_jaques", ("pcp119440", "pcp161669"), "prompt_care", (
        City("Beverly", "Essex County", "01915", 42.5584, -70.8800),
        City("Salem", "Essex County", "01970", 42.5195, -70.8967),
        City("Peabody", "Essex County", "01960", 42.5279, -70.9287),
        City("Saugus", "Essex County", "01906", 42.4640, -71.0100),
        City("Middleton", "Essex County", "01949", 42.5951, -71.0162),
        City("Newburyport", "Essex County", "01950", 42.8126, -70.8773),
    )),
    ("Merrimack Valley", "lowell", "hallmark", ("lahey",), "carewell", (
        City("Lowell", "Middlesex County", "01854", 42.6334, -71.3162),
        City("Billerica", "Middlesex County", "01821", 42.5584, -71.2689),
        City("Tewksbury", "Middlesex County", "01876", 42.6107, -71.2342),
        City("Chelmsford", "Middlesex County", "01824", 42.5998, -71.3673),
        City("Dracut", "Middlesex County", "01826", 42.6704, -71.3020),
        City("Melrose", "Middlesex County", "02176", 42.4584, -71.0662),
    )),
    ("South Coast", "morton", "sturdy", ("mass_express",), "route44", (
        City("Taunton", "Bristol County", "02780", 41.9001, -71.0898),
        City("Raynham", "Bristol County", "02767", 41.9487, -71.0731),
        City("Attleboro", "Bristol County", "02703", 41.9445, -71.2856),
        City("North Attleborough", "Bristol County", "02760", 41.9834, -71.3326),
        City("Norton", "Bristol County", "02766", 41.9668, -71.1870),
        City("Brockton", "Plymouth County", "02301", 42.0834, -71.0184),
    )),
    ("Cape Cod", "falmouth", "bid_plymouth", ("pcp27719", "pcp298043"), "fontaine", (
        City("Falmouth", "Barnstable County", "02540", 41.5515, -70.6148),
        City("Orleans", "Barnstable County", "02653", 41.7899, -69.9898),
        City("Yarmouth", "Barnstable County", "02664", 41.6704, -70.2306),
        City("Harwich", "Barnstable County", "02645", 41.6862, -70.0758),
        City("Mashpee", "Barnstable County", "02649", 41.6484, -70.4811),
        City("Plymouth", "Plymouth County", "02360", 41.9584, -70.6673),
    )),
    ("Pioneer Valley", "franklin", "cooley", ("pcp15785", "pcp74870"), "on_call", (
        City("Greenfield", "Franklin County", "01301", 42.5876, -72.5995),
        City("Turners Falls", "Franklin County", "01376", 42.6042, -72.5565),
        City("Northampton", "Hampshire County", "01060", 42.3251, -72.6412),
        City("Springfield", "Hampden County", "01104", 42.1015, -72.5898),
        City("Longmeadow", "Hampden County", "01106", 42.0501, -72.5829),
        City("Williamsburg", "Hampshire County", "01096", 42.3931, -72.7304),
    )),
    ("Berkshires", "berkshire", "mercy", ("pcp7483",), "concentra", (
        City("Pittsfield", "Berkshire County", "01201", 42.4501, -73.2454),
        City("Lenox", "Berkshire County", "01240", 42.3565, -73.2851),
        City("Dalton", "Berkshire County", "01226", 42.4737, -73.1665),
    )),
    ("MetroWest", "metrowest", "milford", ("charles_river", "pcp167800"), "fallon", (
        City("Framingham", "Middlesex County", "01701", 42.2793, -71.4162),
        City("Ashland", "Middlesex County", "01721", 42.2612, -71.4634),
        City("Milford", "Worcester County", "01757", 42.1398, -71.5163),
        City("Uxbridge", "Worcester County", "01569", 42.0773, -71.6298),
        City("Worcester", "Worcester County", "01605", 42.2626, -71.8023),
    )),
)  # fmt: skip

# Practitioners per organization kind: (CMS specialty, how many).
_STAFFING: dict[str, tuple[tuple[str, int], ...]] = {
    "hospital": (
        ("EMERGENCY MEDICINE", 3),
        ("INTERNAL MEDICINE", 3),
        ("CARDIOVASCULAR DISEASE (CARDIOLOGY)", 2),
        ("PULMONARY DISEASE", 1),
        ("HEMATOLOGY/ONCOLOGY", 1),
        ("NEPHROLOGY", 1),
        ("PHYSICAL MEDICINE AND REHABILITATION", 1),
        ("ORTHOPEDIC SURGERY", 1),
        ("NEUROLOGY", 1),
        ("GENERAL SURGERY", 1),
        ("CARDIAC SURGERY", 1),
    ),
    "clinic": (
        ("GENERAL PRACTICE", 2),
        ("FAMILY PRACTICE", 1),
        ("INTERNAL MEDICINE", 1),
        ("NURSE PRACTITIONER", 1),
    ),
    "urgentcare": (("FAMILY PRACTICE", 1), ("PHYSICIAN ASSISTANT", 1)),
}


@dataclass(frozen=True, slots=True)
class Directory:
    regions: tuple[Region, ...]
    organizations: tuple[Organization, ...]  # sorted by id (stable output order)
    practitioners: tuple[Practitioner, ...]  # sorted by id
    staff: dict[str, dict[str, tuple[Practitioner, ...]]]  # org id -> specialty -> practitioners

    def practitioners_of(self, organization: Organization, specialty: str) -> tuple[Practitioner, ...]:
        by_specialty = self.staff[organization.id]
        return by_specialty.get(specialty) or next(iter(by_specialty.values()))


def _staff_for(organization: Organization) -> list[tuple[str, str, str, str, str]]:
    """``(id, first, last, gender, specialty)`` for an organization's practitioners."""
    rng = random.Random(f"carelake:directory:{organization.id}")
    staff: list[tuple[str, str, str, str, str]] = []
    for specialty, count in _STAFFING[organization.kind]:
        for number in range(count):
            gender = "F" if rng.random() < 0.5 else "M"
            first_pool = FEMALE_FIRST_NAMES if gender == "F" else MALE_FIRST_NAMES
            first = synthea_name(rng.choice(first_pool), rng)
            last = synthea_name(rng.choice(LAST_NAMES), rng)
            practitioner_id = directory_uuid(f"practitioner:{organization.id}:{specialty}:{number}")
            staff.append((practitioner_id, first, last, gender, specialty))
    return staff


@lru_cache(maxsize=1)
def build_directory() -> Directory:
    hospitals = {key: _org(row, "hospital") for key, row in _H.items()}
    clinics = {key: _org(row, "clinic") for key, row in _C.items()}
    urgent = {key: _org(row, "urgentcare") for key, row in _U.items()}
    regions = tuple(
        Region(name, hospitals[h1], hospitals[h2], tuple(clinics[c] for c in cl), urgent[u], cities)
        for name, h1, h2, cl, u, cities in _REGION_LAYOUT
    )
    organizations = tuple(
        sorted([*hospitals.values(), *clinics.values(), *urgent.values()], key=lambda o: o.id)
    )
    raw = sorted((row, organization) for organization in organizations for row in _staff_for(organization))
    # NPIs are numbered in id order: 9999 9xxxx + Luhn digit. Real NPIs start with 1 or 2,
    # so these can never belong to a real clinician (Synthea uses 999... for the same reason).
    practitioners = [
        Practitioner(
            pid, npi_with_check_digit(f"99999{number:04d}"), first, last, gender, specialty, organization
        )
        for number, ((pid, first, last, gender, specialty), organization) in enumerate(raw, start=1)
    ]
    staff: dict[str, dict[str, tuple[Practitioner, ...]]] = {}
    for practitioner in practitioners:
        by_specialty = staff.setdefault(practitioner.organization.id, {})
        by_specialty[practitioner.specialty] = (*by_specialty.get(practitioner.specialty, ()), practitioner)
    return Directory(regions, organizations, tuple(practitioners), staff)
