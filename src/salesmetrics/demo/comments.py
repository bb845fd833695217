"""Feedback comments by theme, tone and language: the raw text that theme analysis reads."""

from __future__ import annotations

THEMES = ("delivery", "price", "quality", "service")
TONES = ("negative", "neutral", "positive")
LANGUAGES = ("uk", "en")
PROBLEM_THEME = "quality"

# Stems that mark the quality theme in either language (lower case).
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "delivery": ("доставк", "посилк", "delivery", "arrived", "courier"),
    "price": ("ціна", "ціну", "ціни", "дорог", "price", "expensive", "cheap"),
    "quality": (
        "якість",
        "якіст",
        "якісн",
        "зламав",
        "брак",
        "тріснул",
        "quality",
        "broke",
        "defect",
        "crack",
    ),
    "service": ("менеджер", "підтримк", "сервіс", "support", "manager", "service"),
}

COMMENTS: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("delivery", "negative", "uk"): (
        "Доставка затрималася на тиждень, ніхто не попередив",
        "Посилку привезли пом'ятою, коробка розірвана",
        "Доставка дуже довга, чекала 9 днів",
        "Кур'єр не зателефонував, довелося їхати на відділення",
    ),
    ("delivery", "negative", "en"): (
        "Delivery was a week late and nobody told me",
        "The parcel arrived damaged",
        "Delivery took far too long",
    ),
    ("delivery", "neutral", "uk"): ("Доставка нормальна, але могла б бути швидшою",),
    ("delivery", "neutral", "en"): ("Delivery was okay, could be faster",),
    ("delivery", "positive", "uk"): (
        "Швидка доставка, наступного дня вже забрала",
        "Доставка блискавична, все добре запаковано",
        "Дякую за швидку доставку!",
    ),
    ("delivery", "positive", "en"): (
        "Fast delivery, arrived the next day",
        "Delivery was quick and the packing was great",
    ),
    ("price", "negative", "uk"): (
        "Ціна завищена, в інших магазинах дешевше",
        "Занадто дорого за таку річ",
        "Ціни зросли, більше не вигідно",
    ),
    ("price", "negative", "en"): (
        "Too expensive for what it is",
        "The price is higher than elsewhere",
    ),
    ("price", "neutral", "uk"): ("Ціна середня, без знижки не купила б",),
    ("price", "neutral", "en"): ("The price is fair, nothing special",),
    ("price", "positive", "uk"): ("Хороша ціна, ще й знижка", "Ціна приємно здивувала"),
    ("price", "positive", "en"): ("Great price and a nice discount", "Good value for the price"),
    ("quality", "negative", "uk"): (
        "Якість гірша, ніж на фото",
        "Тканина неякісна, після прання злиняла",
        "Якість розчарувала, шви криві",
    ),
    ("quality", "negative", "en"): (
        "Poor quality, not like the photos",
        "Quality is disappointing",
    ),
    ("quality", "neutral", "uk"): ("Якість нормальна за свої гроші",),
    ("quality", "neutral", "en"): ("Quality is okay for the money",),
    ("quality", "positive", "uk"): (
        "Чудова якість, дуже задоволена",
        "Якість на висоті, буду замовляти ще",
        "Якісна річ, рекомендую",
    ),
    ("quality", "positive", "en"): (
        "Excellent quality, very happy",
        "Great quality, will buy again",
    ),
    ("service", "negative", "uk"): (
        "Менеджер довго не відповідав",
        "Підтримка не допомогла з поверненням",
        "Грубий сервіс по телефону",
    ),
    ("service", "negative", "en"): ("Support never answered my emails", "The manager was rude"),
    ("service", "neutral", "uk"): ("Сервіс звичайний, без сюрпризів",),
    ("service", "neutral", "en"): ("Service was fine",),
    ("service", "positive", "uk"): (
        "Дуже привітний менеджер, все пояснив",
        "Чудовий сервіс, швидко відповіли в підтримці",
    ),
    ("service", "positive", "en"): (
        "Very helpful manager",
        "Great service, quick answers from support",
    ),
}

# What buyers of the problem product write when they are unhappy.
PROBLEM_COMMENTS: dict[str, tuple[str, ...]] = {
    "uk": (
        "Зламався через тиждень",
        "Чайник зламався через тиждень, дуже розчарована",
        "Протікає з першого дня, якість жахлива",
        "Через два тижні перестав вмикатися, це брак",
        "Тріснула колба після кількох кип'ятінь",
    ),
    "en": (
        "Broke after a week",
        "The kettle broke after a week, very disappointed",
        "Leaks from day one, terrible quality",
        "Stopped working after two weeks, clearly a defect",
        "The glass cracked after a few boils",
    ),
}


def flat() -> tuple[list[str], dict[tuple[int, int, int], tuple[int, int]]]:
    """All comments in one list, and (theme, tone, language) -> (offset, count) into it.

    The problem product's comments sit under theme index len(THEMES), negative tone.
    """
    texts: list[str] = []
    where: dict[tuple[int, int, int], tuple[int, int]] = {}
    for ti, theme in enumerate(THEMES):
        for oi, tone in enumerate(TONES):
            for li, lang in enumerate(LANGUAGES):
                items = COMMENTS[(theme, tone, lang)]
                where[(ti, oi, li)] = (len(texts), len(items))
                texts.extend(items)
    for li, lang in enumerate(LANGUAGES):
        items = PROBLEM_COMMENTS[lang]
        where[(len(THEMES), 0, li)] = (len(texts), len(items))
        texts.extend(items)
    return texts, where
