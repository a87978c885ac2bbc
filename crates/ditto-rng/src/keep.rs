//! Parameter path patterns, and the rule wrapper that keeps the parameters they match.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::init::{Fans, Init};
use crate::module::{InitRule, ParamInfo};

/// Class: portable (a pure function of the two strings). A pattern over parameter paths
/// ([`ParamInfo::path`], e.g. `"body.conv1.weight"`): `*` stands for any run of characters
/// (dots included); anything else matches itself. A pattern matches a path when it matches
/// the whole path, or the path up to one of its dots: `"body"` matches `"body.fc.weight"`
/// but not `"body2.weight"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PathPattern(String);

impl PathPattern {
    /// Class: portable. The pattern `pattern`.
    pub fn new(pattern: impl Into<String>) -> Self {
        Self(pattern.into())
    }

    /// Class: portable. The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Class: portable. Whether the pattern matches `path` (see the type's doc).
    pub fn matches(&self, path: &str) -> bool {
        let p = self.0.as_bytes();
        if glob(p, path.as_bytes()) {
            return true;
        }
        path.char_indices()
            .filter(|&(_, c)| c == '.')
            .any(|(i, _)| glob(p, &path.as_bytes()[..i]))
    }
}

impl std::fmt::Display for PathPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `*`-glob of the whole of `text`, iterative (no recursion depth to exhaust on hostile
/// patterns, at most `pattern.len() * text.len()` steps).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// Class: portable. `rule`, except that the parameters matching any of `patterns` keep the
/// value they hold (see [`InitRule::keeps`]): fine-tuning a pretrained body with a seeded new
/// head is `KeepPaths::new(["body"], BurnDefaults)`.
#[derive(Clone, Debug)]
pub struct KeepPaths<R> {
    patterns: Vec<PathPattern>,
    rule: R,
}

impl<R> KeepPaths<R> {
    /// Class: portable. Keeps the parameters matching `patterns`; `rule` draws the others.
    pub fn new<P: Into<String>>(patterns: impl IntoIterator<Item = P>, rule: R) -> Self {
        Self {
            patterns: patterns.into_iter().map(PathPattern::new).collect(),
            rule,
        }
    }
}

impl<R: InitRule> InitRule for KeepPaths<R> {
    fn choose(&self, param: &ParamInfo, siblings: &[ParamInfo]) -> Result<(Init, Fans), Error> {
        self.rule.choose(param, siblings)
    }

    fn keeps(&self, param: &ParamInfo) -> bool {
        self.patterns.iter().any(|p| p.matches(&param.path)) || self.rule.keeps(param)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_paths_and_dotted_prefixes() {
        let p = PathPattern::new;
        assert!(p("body").matches("body"));
        assert!(p("body").matches("body.fc.weight"));
        assert!(!p("body").matches("body2.weight"));
        assert!(!p("body").matches("head.body"));
        assert!(p("*.bias").matches("fc1.bias"));
        assert!(p("*.bias").matches("blocks.0.attn.bias"));
        assert!(!p("*.bias").matches("fc1.weight"));
        assert!(p("blocks.*.norm").matches("blocks.3.norm.gamma"));
        assert!(!p("blocks.*.norm").matches("blocks.3.attn.weight"));
        assert!(p("*").matches("anything.at.all"));
        assert!(!p("").matches("fc"));
        assert!(p("fc*").matches("fc12.weight"));
        assert!(p("a*b*c").matches("axxbyyc"));
        assert!(!p("a*b*c").matches("axxbyy"));
    }

    #[test]
    fn a_hostile_pattern_is_answered_quickly() {
        let pattern = PathPattern::new("*a".repeat(200));
        let path = "a".repeat(199);
        assert!(!pattern.matches(&path));
    }
}
