import pytest

from conftest import SEED_FILES
from stance.actors import article_actors, find_actors, main_pair, sentence_pairs


def codes(text, **kw):
    return [a.code for a in find_actors(text, **kw)]


@pytest.mark.parametrize("text,expected", [
    ("Pyongyang's envoy met Xi Jinping in Beijing.", ["PRK", "CHN"]),     # Beijing: where they met
    ("The U.S. and China agreed, said Kim Jong-un.", ["USA", "CHN", "PRK"]),
    ("The Kremlin said Ukrainian drones hit Moscow.", ["RUS", "UKR", "RUS"]),
    ("The two Koreas met at the border.", ["KOR", "PRK"]),
    ("Chinese and South Korean officials met.", ["CHN", "KOR"]),
    ("Workers' Party of Korea officials met Liu.", ["PRK"]),
    ("Jordan's foreign minister met Turkey's president.", ["JOR", "TUR"]),
    ("Georgia and Russia fought a war in 2008.", ["GEO", "RUS"]),
    ("Chad's army crossed into Sudan.", ["TCD", "SDN"]),
])
def test_detects_states(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text,wrong", [
    ("We roasted a turkey for Thanksgiving dinner.", "TUR"),
    ("The Thanksgiving Turkey was carved.", "TUR"),
    ("Voters in Atlanta, Georgia went to the polls.", "GEO"),
    ("Michael Jordan scored 40 points.", "JOR"),
    ("Jordan Peterson gave a lecture.", "JOR"),
    ("Ships sailed through the South China Sea.", "CHN"),
    ("Chad Smith played the drums.", "TCD"),
    ("Let us talk about it.", "USA"),
])
def test_classic_false_hits(text, wrong):
    assert wrong not in codes(text)


def test_offsets_point_into_the_text():
    t = "Officials in Seoul said Pyongyang fired missiles."
    for a in find_actors(t, offset=100):
        assert t[a.start - 100:a.end - 100] == a.text


def test_office_holders_depend_on_the_date():
    assert codes("Trump met Xi Jinping.", date="2025-05-01") == ["USA", "CHN"]
    assert codes("Trump met Xi Jinping.", date="2022-05-01") == ["CHN"]


def test_pair_rules():
    main = ("CHN", "PRK")
    assert sentence_pairs(["KOR", "CHN", "PRK"], main) == (("CHN", "KOR"), ("CHN", "PRK"), ("KOR", "PRK"))
    assert sentence_pairs(["PRK"], main) == (main,)
    assert sentence_pairs([], main) == (main,)
    assert sentence_pairs(["RUS"], main) == (("CHN", "RUS"),)
    assert sentence_pairs(["RUS"], None) == ()


def test_main_pair_prefers_pairs_named_together():
    assert main_pair([["USA"], ["USA"], ["RUS", "UKR"], ["RUS", "UKR"], ["USA"]]) == ("RUS", "UKR")
    assert main_pair([["USA"], ["USA"], ["FRA"]]) == ("FRA", "USA")
    assert main_pair([["USA"]]) is None


# -- rules added for issue #5 (each case from a train/dev miss or a classic false hit) -----------------
@pytest.mark.parametrize("text,expected", [
    ("Congress called the move anti-Turkish.", ["TUR"]),                 # hyphen splits words
    ("Turkey-Israel relations soured.", ["TUR", "ISR"]),
    ("Sino-North Korean ties are strained.", ["CHN", "PRK"]),
    ("The Kremlin rejected the plan.", ["RUS"]),                          # "The" is not a name word
    ("Relations between Ivory Coast and France were at a low point.", ["CIV", "FRA"]),
    ("The DPRK stands for the Democratic People's Republic of Korea.", ["PRK", "PRK"]),
    ("Somalis and Nigerians fled the fighting.", ["SOM", "NGA"]),        # plural demonyms
    ("The Kenya Interior Ministry announced the closure.", ["KEN"]),     # not a person's name
    ("C.A.R. officials say the rebels crossed the border.", ["CAF"]),
    ("Talks on a U.S.-North Korea summit stalled.", ["USA", "PRK"]),      # a party, not a venue
    ("Iran talks resumed in Oman.", ["IRN", "OMN"]),
])
def test_detects_more_states(text, expected):
    assert codes(text) == expected


@pytest.mark.parametrize("text,wrong", [
    ("Fishing grounds in the Indian Ocean are rich.", "IND"),
    ("Warships crossed the Taiwan Strait.", "TWN"),
    ("Prices in Latin America fell.", "USA"),
    ("He is a professor at the University of Nairobi.", "KEN"),
    ("said Yoo Ho-yeol of Korea University in Seoul.", "KOR"),
    ("said a fellow at the Singapore Institute of International Affairs.", "SGP"),
    ("said a senior fellow at the German Marshall Fund.", "DEU"),
    ("This report originated in VOA's Somali Service.", "SOM"),
    ("The aid group, known by its French acronym MSF, left.", "FRA"),
    ("The bark is “wan-wan” (Japanese) or “woof” (English).", "JPN"),
    ("Talks failed at the Hanoi Summit in February.", "VNM"),
    ("Trump met Kim at the Singapore summit in 2018.", "SGP"),
    ("They urged that the Doha agreement be implemented.", "QAT"),
    ("Countries must meet the limits of the Paris climate pact.", "FRA"),
    ("The Paris-based agency published a report.", "FRA"),
    ("The case went before the Hague-based court.", "NLD"),
    ("Car bombs hit the market.", "CAF"),
    ("Aden Barre Duale, a lawmaker, disagreed.", "YEM"),
])
def test_more_false_hits(text, wrong):
    assert wrong not in codes(text)


@pytest.mark.parametrize("text,date,expected", [
    ("Merkel met Macron as Berlin watched.", "2019-06-01", ["DEU", "FRA", "DEU"]),
    ("Merkel met Macron as Berlin watched.", "2023-06-01", ["FRA", "DEU"]),  # Merkel left office in 2021
    ("Jens Stoltenberg spoke for NATO.", "2020-01-01", []),               # NATO chief, not Norway
    ("Antonio Guterres addressed the council.", "2020-01-01", []),        # UN chief, not Portugal
    ("Mahathir froze the railway project.", "2019-06-01", ["MYS"]),
])
def test_office_holders_are_dated(text, date, expected):
    assert codes(text, date=date) == expected


def acts_of(sentences, **kw):
    acts, main = article_actors(sentences, **kw)
    return [[(a.code, a.text) for a in s] for s in acts], main


def test_article_resolves_the_north_and_the_south_only_in_a_korea_story():
    acts, main = acts_of(["North Korea fired missiles.", "The North's state media praised the launch, "
                          "while the South protested."])
    assert acts[1] == [("PRK", "The North's"), ("KOR", "the South")]
    acts, _ = acts_of(["Sudan's army clashed with rebels.", "The North was calm."])
    assert acts[1] == []


def test_article_resolves_the_mainland_in_a_taiwan_story():
    acts, _ = acts_of(["Taiwan held drills.", "Pressure from the mainland grew."])
    assert acts[1] == [("CHN", "the mainland")]


def test_article_resolves_a_surname_after_the_full_name():
    acts, _ = acts_of(["Kim Jong-un inspected a factory.", "Trump met Kim in Hanoi.",
                       "said Kim Keun-sik, a professor."], date="2019-03-01")
    assert ("PRK", "Kim") in acts[1]
    assert all(code != "PRK" for code, _ in acts[2])


def test_article_resolves_the_country_to_the_subject_or_the_story():
    acts, _ = acts_of(["Indonesia's schools lag behind.", "The country spent 3.6 percent of GDP on education."])
    assert acts[1] == [("IDN", "The country")]
    acts, _ = acts_of(["North Korea and China mark the war's end.",
                       "The North's media made no mention of China as the country celebrated."])
    assert acts[1] == [("PRK", "The North's"), ("CHN", "China"), ("PRK", "the country")]
    acts, _ = acts_of(["Kenya closed the camps.", "Refugees must leave another country."])
    assert acts[1] == []                                                  # "another country" is not it


def test_article_resolves_both_countries_to_the_main_pair():
    acts, main = acts_of(["Egypt and Turkey restored ties.", "Both countries withdrew ambassadors in 2013."])
    assert main == ("EGY", "TUR")
    assert acts[1] == [("EGY", "Both countries"), ("TUR", "Both countries")]


def test_congress_is_the_usa_only_in_a_story_that_names_it():
    acts, _ = acts_of(["Washington warned Ankara.", "Sanctions are waiting in Congress."])
    assert acts[1] == [("USA", "Congress")]
    acts, _ = acts_of(["South Africa voted.", "The African National Congress lost ground in Congress."])
    assert acts[1] == []


def test_main_pair_weighs_the_lead_and_both_states_salience():
    # The lead names Iraq and the USA; Syria is named with Iraq later, but less than the USA overall.
    sents = [["IRQ", "USA"], ["IRQ"], ["IRQ"], ["USA"], ["IRQ", "SYR"], ["IRQ", "SYR"], ["USA"], ["USA"], ["SYR"]]
    assert main_pair(sents, ["IRQ"]) == ("IRQ", "USA")


def test_the_nation_of_a_named_state_is_not_an_anaphor():
    acts, _ = acts_of(["Indonesia opened ties with the South Pacific island nation of Nauru."])
    assert acts[0] == [("IDN", "Indonesia"), ("NRU", "Nauru")]


@pytest.mark.parametrize("text,expected", [
    ("While Washington slapped tariffs on Chinese steel, it eased others.", ["USA", "CHN"]),  # "While" is no first name
    ("Serbia welcomed Chinese investment.", ["SRB", "CHN"]),       # undated: not also Serbia and Montenegro (SCG)
    ("China, Russia and Iran held drills in the Gulf of Oman.", ["CHN", "RUS", "IRN"]),
])
def test_sentence_start_undated_names_and_gulfs(text, expected):
    assert codes(text) == expected


def test_dated_text_still_gets_the_historical_state():
    assert codes("Serbia welcomed the deal.", date="2000-01-01") == ["SCG", "SRB"]


@pytest.mark.skipif(not SEED_FILES, reason="seed articles not beside this checkout")
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_both_seed_articles_are_about_china_and_north_korea(path):
    from stance import split_sentences

    spans = split_sentences(path.read_text(encoding="utf-8"))
    date = "2014-07-30" if "koreaherald" in path.name else None
    _, main = article_actors([s.text for s in spans], date=date, offsets=[s.start for s in spans])
    assert main == ("CHN", "PRK")


def test_a_city_named_as_the_place_of_an_event_is_not_the_state():
    codes = lambda t: [a.code for a in find_actors(t)]  # noqa: E731
    assert codes("The premier spoke at a rally in Toronto.") == []
    assert codes("Floods hit northern Hebei Province.") == []
    assert codes("Residents of the slum of Port-au-Prince fled.") == []
    assert codes("Talks in Beijing on Monday failed.") == []
    assert codes("Beijing warned Tokyo.") == ["CHN", "JPN"]          # the capital for the state
    assert codes("Peacekeepers arrived in Bosnia on Sunday.") == ["BIH"]  # the state's own name
    assert codes("The ships are in Chinese hands.") == ["CHN"]        # a demonym, not a place
    assert codes("Shops closed for Chinese New Year.") == []


def test_article_learns_officials_from_their_title():
    acts, _ = acts_of(["Jean Lafleur, Haiti's minister of justice, spoke on Friday.",
                       "Lafleur said the prison was secured.",
                       "Turkish presidential adviser Emre Kaya disagreed.", "Kaya said talks would go on."])
    assert ("HTI", "Jean Lafleur") in acts[0] and acts[1] == [("HTI", "Lafleur")]
    assert ("TUR", "Emre Kaya") in acts[2] and acts[3] == [("TUR", "Kaya")]
    # Not officials of the state now, or not a name at all.
    acts, _ = acts_of(["Former Turkish ambassador Emre Kaya disagreed.", "Kaya said so.",
                       "On Friday, French President Emmanuel Macron spoke.",
                       "Ana Ruiz, director of the Spanish Center for Birds, spoke."], date="2024-01-01")
    assert acts[1] == [] and ("FRA", "On Friday") not in acts[2]
    assert all(text != "Ana Ruiz" for _, text in acts[3])


def test_sub_national_places_and_pro_prefixes_are_not_the_state():
    assert codes("Officials in Texas and New York City disagreed.") == []
    assert codes("Pro-Russia rebels shelled the town.") == []
    assert codes("The Soviet Union collapsed in 1991.") == ["RUS"]      # today's code
    assert codes("Protests spread in Britain.") == ["GBR"]               # another name of the state
    # A part of China, not a state (MENTIONS.md); the mention codebook wins over the old team entry.
    assert codes("Jimmy Lai's case in Hong Kong drags on.") == []
    assert codes("Camps in Xinjiang hold Uyghurs.") == []
    assert codes("He returned to a prison in Guatemala City.") == []
    # Dodik led Republika Srpska (an entity); he held a state office only in the BiH presidency.
    assert codes("Dodik's allies met.", date="2025-03-01") == []
    assert codes("Dodik's allies met.", date="2020-03-01") == ["BIH"]


def test_capitals_reached_by_a_journey_are_places():
    assert codes("I took a flight to Rome with Delta.") == []
    assert codes("Passengers on a flight from New Delhi tested positive.") == []   # not "Delhi" either
    assert codes("On arrival Rome's normally crowded airport was silent.") == []
    assert codes("In Beijing, officials met on Monday.") == []           # sentence-initial locative
    assert codes("Seoul's envoy to Beijing protested.") == ["KOR", "CHN"]  # no journey: the state
    assert codes("The minister will travel to Ankara next week.") == ["TUR"]  # a visit to the state


def test_organisations_and_media_named_after_a_state_are_not_it():
    assert codes("Mahad Wasuge heads the group Somali Public Agenda.") == []
    assert codes("The Australian Strategic Policy Institute wrote a report.") == []
    assert codes("The China Newsweek magazine profiled him.") == []
    assert codes("He flew Air India and Turkish Airlines.") == []
    assert codes("The Korean Central News Agency said Seoul lied.") == ["PRK", "KOR"]  # state media
    assert codes("The Nigeria Center for Disease Control said so.") == ["NGA"]          # a state body


def test_the_president_is_not_resolved_to_a_state_without_one():
    acts, _ = acts_of(["Canada retaliated against U.S. tariffs.", "Ottawa said it would fight.",
                       "The president said the tariffs would take effect Wednesday."])
    assert [c for c, _ in acts[2]] == ["USA"]


def test_events_regions_and_compound_nouns_are_not_the_state():
    assert codes("He is a Vietnam War veteran.") == []
    assert codes("They discussed the Indian and Pacific Ocean regions.") == []
    assert codes("Dogs come from West Java and Bali.") == []
    assert codes("He works in Ho Chi Minh City.") == []
    acts, _ = acts_of(["Pakistan declared an emergency.", "The injured went to the government hospital in Sibi.",
                       "The government said it would respond."])
    assert acts[1] == [] and [c for c, _ in acts[2]] == ["PAK"]


def test_bylines_bearings_and_ethnicities_are_not_the_state():
    assert codes("Harun Maruf reported from Washington; stringers contributed from Mogadishu and Nairobi.") == []
    assert codes("The village lies 160 kilometers northeast of Madrid.") == []
    assert codes("Girls were held in Borno State.") == []
    assert codes("Troops of the United States arrived.") == ["USA"]
    assert codes("He is an ethnic Somali.") == []
    assert codes("His daughters are learning Japanese; few foreigners speak Japanese.") == []
    assert codes("The issue is dealt with in Vienna at the IAEA.") == []
    assert codes("Fires burn in the province of Queensland and New South Wales.") == []
    assert codes("VOA White House correspondent Anita Powell contributed.") == []
    assert codes("Officials from Washington arrived.") == ["USA"]       # no byline verb: the state
