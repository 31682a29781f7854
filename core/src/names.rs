//! Name rules: the text normalisation names (and later typed answers) are compared under,
//! the deny list a display name is checked against, and the friendly names a quiz with
//! generated names gives its players.
//!
//! Normalisation: Unicode NFKC, case-folded (lowercase, plus the full folds `ß → ss` and
//! `ς → σ`), surrounding whitespace trimmed and inner runs of whitespace collapsed to one
//! space. A deny-list match further drops accents (NFD without combining marks), maps the
//! common look-alike substitutions `0→o`, `1→i`, `3→e`, `4→a`, `5→s`, `7→t`, `@→a`, `$→s`,
//! `!→i` and keeps only letters and digits, so `B@d W0rd`, `b.a.d-w.o.r.d` and `BÁD WORD`
//! all read `badword`. A deny-list word of 5 or more letters is refused anywhere in a
//! name; a shorter one only as a whole word or as the whole name (so `Grape Lover` or
//! `Peacock` are not refused for the short word inside them).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `s` under NFKC, case-folded, trimmed, inner whitespace collapsed (see the module docs).
/// Idempotent.
pub fn normalize(s: &str) -> String {
    // Typed answers are on the answer path: ASCII text (NFKC leaves it as it is) takes a
    // path without the Unicode tables.
    let folded: String = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        let mut folded = String::with_capacity(s.len());
        for c in s.nfkc() {
            match c {
                'ß' | 'ẞ' => folded.push_str("ss"),
                'ς' => folded.push('σ'),
                c => folded.extend(c.to_lowercase()),
            }
        }
        // Lowercasing can produce characters NFKC composes differently: normalise again.
        folded.nfkc().collect()
    };
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `s` normalised (see [`normalize`]) and without accents (`Zürich` → `zurich`): NFD with the
/// combining marks dropped, composed again. Idempotent.
pub fn without_accents(s: &str) -> String {
    normalize(s)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The letters and digits of `s` as a deny-list match reads them: normalised, without
/// accents, look-alike substitutions mapped.
fn skeleton(s: &str) -> String {
    normalize(s)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// The words of `s` as skeletons, split at anything that is not a letter, a digit or a
/// substitution character.
fn word_skeletons(s: &str) -> Vec<String> {
    normalize(s)
        .split(|c: char| !(c.is_alphanumeric() || "@$!".contains(c)))
        .map(skeleton)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Words shorter than this are matched as whole words only.
const ANYWHERE_FROM: usize = 5;

/// A small default list of words no display name may contain; operators add their own with
/// a file (`DenyList::parse`).
pub const BUILTIN: &[&str] = &[
    "asshole", "bastard", "bitch", "bollocks", "cock", "cunt", "dick", "fag", "faggot", "fuck",
    "hitler", "kike", "nazi", "nigga", "nigger", "penis", "porn", "pussy", "rape", "retard",
    "shit", "slut", "spic", "twat", "vagina", "wank", "whore",
];

/// Words no display name may contain, each stored as its skeleton.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenyList {
    words: Vec<String>,
}

impl DenyList {
    /// The built-in list ([`BUILTIN`]).
    pub fn builtin() -> Self {
        Self::from_words(BUILTIN.iter().copied())
    }

    /// A list of `words` (blank ones ignored).
    pub fn from_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut words: Vec<String> = words
            .into_iter()
            .map(skeleton)
            .filter(|w| !w.is_empty())
            .collect();
        words.sort();
        words.dedup();
        Self { words }
    }

    /// A list from a file's text: one word or phrase per line; blank lines and lines
    /// starting with `#` are ignored.
    pub fn parse(text: &str) -> Self {
        Self::from_words(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#')),
        )
    }

    /// This list and `other`'s words.
    #[must_use]
    pub fn and(mut self, other: &DenyList) -> Self {
        self.words.extend(other.words.iter().cloned());
        self.words.sort();
        self.words.dedup();
        self
    }

    /// How many words the list holds.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Whether `name` contains a word of the list (see the module docs for how).
    pub fn denies(&self, name: &str) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let whole = skeleton(name);
        let words = word_skeletons(name);
        self.words.iter().any(|w| {
            if w.chars().count() >= ANYWHERE_FROM {
                whole.contains(w.as_str())
            } else {
                whole == *w || words.iter().any(|x| x == w)
            }
        })
    }
}

const ADJECTIVES: &[&str] = &[
    "Brave", "Calm", "Clever", "Cosmic", "Curious", "Daring", "Eager", "Fancy", "Gentle", "Happy",
    "Jolly", "Kind", "Lively", "Lucky", "Mighty", "Nimble", "Polite", "Proud", "Quick", "Quiet",
    "Shiny", "Sleepy", "Smart", "Speedy", "Sunny", "Swift", "Tidy", "Witty", "Zany", "Zesty",
];

const ANIMALS: &[&str] = &[
    "Badger", "Beaver", "Bison", "Camel", "Cheetah", "Dolphin", "Eagle", "Falcon", "Ferret", "Fox",
    "Gecko", "Giraffe", "Hedgehog", "Heron", "Koala", "Lemur", "Llama", "Lynx", "Moose", "Narwhal",
    "Octopus", "Otter", "Owl", "Panda", "Penguin", "Puffin", "Rabbit", "Raccoon", "Seal", "Sloth",
    "Squirrel", "Tiger", "Toucan", "Walrus", "Wombat", "Zebra",
];

/// How many distinct generated names there are (adjective × animal).
pub const GENERATED_NAMES: u64 = (ADJECTIVES.len() * ANIMALS.len()) as u64;

/// The friendly name number `n` (an adjective and an animal, `"Brave Otter"`): any
/// [`GENERATED_NAMES`] consecutive numbers give distinct names, and nearby numbers give
/// unrelated ones.
pub fn generated(n: u64) -> String {
    // Multiplying by a number coprime to the table size permutes the table.
    let i = (n % GENERATED_NAMES) * STRIDE % GENERATED_NAMES;
    let a = (i % ADJECTIVES.len() as u64) as usize;
    let b = (i / ADJECTIVES.len() as u64) as usize;
    format!("{} {}", ADJECTIVES[a], ANIMALS[b])
}

/// Coprime to [`GENERATED_NAMES`] (1,080 = 2³·3³·5): a prime that divides none of them.
const STRIDE: u64 = 7_919;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn normalisation_folds_width_case_and_spaces() {
        assert_eq!(normalize("  Ｈｅｌｌｏ   WORLD\t"), "hello world");
        assert_eq!(normalize("Straße"), "strasse");
        assert_eq!(normalize("ﬁsh"), "fish");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn the_deny_list_sees_through_substitutions_spacing_and_accents() {
        let list = DenyList::from_words(["badword", "ass"]);
        for name in [
            "badword",
            "B@d W0rd",
            "b.a.d-w.o.r.d",
            "BÁD WÖRD",
            "xx b4dw0rdxx",
        ] {
            assert!(list.denies(name), "{name}");
        }
        // A short word only as a whole word.
        assert!(list.denies("my a$$"));
        assert!(list.denies("a s s"));
        assert!(!list.denies("Classic Bass"));
        assert!(!list.denies("Ann"));
        assert!(!DenyList::default().denies("badword"));
    }

    #[test]
    fn a_file_lists_words_and_comments() {
        let list = DenyList::parse("# house rules\n\nfoobar\n  Qux Quux \n");
        assert_eq!(list.len(), 2);
        assert!(list.denies("QUXQUUX the great"));
        assert!(list.and(&DenyList::builtin()).len() > BUILTIN.len());
    }

    #[test]
    fn the_builtin_list_refuses_the_obvious() {
        let list = DenyList::builtin();
        assert!(list.denies("Sh1t Happens"));
        assert!(list.denies("xXh1tl3rXx"));
        for fine in [
            "Brave Otter",
            "Grape Lover",
            "Peacock",
            "Spicy Dickens",
            "Scunthorpe",
        ] {
            assert!(!list.denies(fine), "{fine}");
        }
    }

    #[test]
    fn generated_names_are_friendly_and_varied() {
        let names: std::collections::HashSet<String> = (0..GENERATED_NAMES)
            .map(|n| generated(n + 12_345))
            .collect();
        assert_eq!(
            names.len() as u64,
            GENERATED_NAMES,
            "consecutive numbers never repeat"
        );
        assert_ne!(
            generated(1).split(' ').next(),
            generated(2).split(' ').next()
        );
        assert!(names.iter().all(|n| n.split(' ').count() == 2));
        assert!(!names.iter().any(|n| DenyList::builtin().denies(n)));
    }

    proptest! {
        #[test]
        fn normalisation_is_idempotent_and_never_panics(s in "\\PC{0,40}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
            let _ = DenyList::builtin().denies(&s);
        }

        #[test]
        fn any_unicode_at_all_is_handled(s in any::<String>()) {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once);
        }
    }
}
