"""Invented name pools and spelling variants for the agencies' records (``agency_records``).

Syllables, given and family names are common in each country and in Latin transliteration;
no real person's data. ``ROMANISATION`` lists interchangeable spellings seen across agencies.
"""

from __future__ import annotations

# fmt: off
ROMANISATION: tuple[tuple[str, str], ...] = (
    ('kh', 'k'), ('ph', 'p'), ('th', 't'), ('ch', 'j'), ('ou', 'o'), ('ea', 'ia'), ('ee', 'i'),
    ('oo', 'u'), ('aa', 'a'), ('ai', 'ay'), ('v', 'w'), ('r', 'l'), ('y', 'i'),
    ('porn', 'phon'), ('kyaw', 'kyau'), ('htet', 'het'),
)
HONORIFICS: dict[str, tuple[str, ...]] = {
    'MM': (
        'Ma', 'Daw', 'Ko', 'U', 'Mg',
    ),
    'TH': (
        'Nong', 'Khun',
    ),
    'KH': (
        'Neang', 'Lok',
    ),
    'PH': (
        'Ate', 'Kuya',
    ),
}
#: Invented home provinces/districts per country, "KH-01" .. "KH-25".
DISTRICTS: int = 25
NICKNAMES: tuple[str, ...] = (
    'Noi', 'Lek', 'Nok', 'Joy', 'Ploy', 'Bee', 'Tom', 'Apple', 'Baby',
)
SYLLABLES: dict[str, tuple[str, ...]] = {
    'KH': (
        'So', 'Srey', 'Mom', 'Cha', 'Nary', 'Bo', 'Pha', 'Da', 'Ra', 'Vann', 'Pi', 'Seth',
        'Rith', 'Sam', 'Bath', 'Vu', 'Thy', 'Chen', 'Kun', 'Thea', 'Ly', 'Nita', 'Pov', 'Mey',
        'Sok', 'Kheng', 'Dav', 'Roth', 'Sopheak', 'Leak', 'Chhay', 'Vi', 'Bun', 'Tha',
    ),
    'TH': (
        'Si', 'Ri', 'Porn', 'Nat', 'Ta', 'Ya', 'Kan', 'Ma', 'Lee', 'Pim', 'Cha', 'Nok', 'Ra',
        'Tana', 'Su', 'Som', 'Chai', 'A', 'Nan', 'Kit', 'Ti', 'Sak', 'Pra', 'Sert', 'Wi', 'Tha',
        'Boon', 'Mee', 'Thong', 'Dee', 'Kaew', 'Wan', 'Phon', 'Rat',
    ),
    'MM': (
        'Aye', 'Thandar', 'Su', 'Khin', 'Myo', 'Nilar', 'Hnin', 'Wai', 'May', 'Thu', 'Aung',
        'Kyaw', 'Zin', 'Min', 'Zaw', 'Win', 'Htet', 'Naing', 'Ko', 'Thura', 'Moe', 'Hla',
        'Phyu', 'Tun', 'Oo', 'Nyein', 'Chan', 'San', 'Lwin', 'Myat', 'Thet', 'Yu',
    ),
    'ID': (
        'Dew', 'Sit', 'Put', 'Ri', 'A', 'Yu', 'Wu', 'Lan', 'In', 'Dah', 'Bu', 'Di', 'Gus', 'E',
        'Ko', 'Jo', 'Riz', 'Ky', 'De', 'Hen', 'Dra', 'Sa', 'Nto', 'So', 'Wi', 'Ja', 'Ya', 'Pu',
        'Tra', 'Ku', 'Su', 'Ma', 'Se', 'Tia', 'Wan', 'Har',
    ),
}
GIVEN_MORE: dict[str, tuple[str, ...]] = {
    'PH': (
        'Maria', 'Ana', 'Cristina', 'Rosa', 'Liza', 'Grace', 'Cherry', 'Mary Ann', 'Jocelyn',
        'Analyn', 'Marites', 'Lourdes', 'Teresita', 'Rowena', 'Joy', 'Jasmine', 'Kristine',
        'Jose', 'Juan', 'Mark', 'John', 'Paul', 'Rodel', 'Ramon', 'Arnel', 'Jericho', 'Noel',
        'Jun', 'Romeo', 'Danilo', 'Eduardo', 'Rolando', 'Ernesto', 'Reynaldo', 'Jayson',
    ),
    'MY': (
        'Nurul', 'Siti', 'Aishah', 'Mei Ling', 'Priya', 'Farah', 'Liyana', 'Nur', 'Aina',
        'Hui Min', 'Kavitha', 'Zarina', 'Ahmad', 'Muhammad', 'Wei Jie', 'Ravi', 'Hafiz',
        'Azlan', 'Kumar', 'Amir', 'Firdaus', 'Jun Hao', 'Suresh', 'Faizal', 'Rizal',
    ),
    'AU': (
        'Emily', 'Sarah', 'Jessica', 'Chloe', 'Olivia', 'Grace', 'Ella', 'Mia', 'Zoe', 'Amy',
        'Jack', 'Thomas', 'James', 'Lachlan', 'Liam', 'Noah', 'Oliver', 'Ethan', 'Ryan',
    ),
}
FAMILY_MORE: dict[str, tuple[str, ...]] = {
    'PH': (
        'Santos', 'Reyes', 'Cruz', 'Bautista', 'Ocampo', 'Garcia', 'Mendoza', 'Dela Cruz',
        'Torres', 'Tomas', 'Andrada', 'Castillo', 'Flores', 'Villanueva', 'Ramos', 'Aquino',
        'Navarro', 'Salazar', 'Mercado', 'Aguilar', 'Domingo', 'Gonzales', 'Lopez', 'Pascual',
        'Castro', 'Soriano', 'Manalo', 'Dizon', 'Rivera', 'Francisco', 'Fernandez', 'Gomez',
        'Valdez', 'Robles', 'Santiago', 'Marquez', 'De Leon', 'Panganiban', 'Magbanua',
    ),
    'MY': (
        'Abdullah', 'Tan', 'Lim', 'Ismail', 'Rahman', 'Wong', 'Subramaniam', 'Ibrahim',
        'Hassan', 'Ong', 'Lee', 'Chong', 'Yusof', 'Othman', 'Ali', 'Krishnan', 'Teo', 'Goh',
        'Ng', 'Omar', 'Aziz', 'Razak', 'Muthu', 'Chin', 'Yap', 'Hamid', 'Salleh', 'Ramli',
    ),
    'AU': (
        'Smith', 'Jones', 'Williams', 'Brown', 'Wilson', 'Taylor', 'Nguyen', 'Johnson',
        'Martin', 'White', 'Anderson', 'Thompson', 'Walker', 'Harris', 'Lee', 'Ryan',
        'Robinson', 'Kelly', 'King', 'Davis', 'Wright', 'Evans', 'Roberts', 'Green',
    ),
}
# fmt: on
