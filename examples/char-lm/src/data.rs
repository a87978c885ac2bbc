//! The text: the vendored King James file (embedded, checked against its pins), its
//! vocabulary, the split by lines into train / validation / test, and the windows of token ids
//! that are the trainer's items.

use std::io::Read;
use std::sync::Arc;

use ditto::data::{Dataset, Sha256Digest};

/// The vendored file (`data/README.md` has its origin and license), compiled into the binary:
/// nothing is read from disk at run time.
const GZ: &[u8] = include_bytes!("../data/kjv-text-1mib.txt.gz");
/// SHA-256 of the compressed file as vendored.
const GZ_SHA256: &str = "8d2e7f982da9bf8a937dc41f87e27f93065c1f4014ee872f796c43cd8e3c9ba4";
/// SHA-256 of the decompressed text (the pin of `examples/data/SOURCES.md`'s convention).
pub const TEXT_SHA256: &str = "fc66602dd0a9ce64acd60baba9c5635853c1efea776712a9403edd373966f0bb";
/// The text's length in bytes; decompression stops one byte past it.
const TEXT_BYTES: usize = 1_048_393;

/// Class: portable (a pure function of the embedded bytes). The text as token ids, split by
/// lines: the last 5% of lines are the test split, the 5% before them the validation split,
/// the rest the training split. Each split is its lines' text, `\n` included.
pub struct Corpus {
    /// The sorted distinct bytes of the whole text: token id `i` is byte `vocab[i]`.
    pub vocab: Vec<u8>,
    /// Training split, as token ids.
    pub train: Arc<Vec<u8>>,
    /// Validation split, as token ids.
    pub valid: Arc<Vec<u8>>,
    /// Test split, as token ids.
    pub test: Arc<Vec<u8>>,
    /// The text's SHA-256 (recorded by the run and checked when it is resumed).
    pub content: Sha256Digest,
    /// Lines in each split (train, validation, test).
    pub lines: [usize; 3],
}

/// Class: portable. Decompresses the embedded text, checks both pins and splits it.
///
/// Errors: a digest, a length or a character that is not the vendored file's (a corrupted
/// checkout), or gzip data that does not decompress.
pub fn load() -> Result<Corpus, String> {
    let gz = Sha256Digest::of(GZ);
    if gz.to_string() != GZ_SHA256 {
        return Err(format!(
            "data/kjv-text-1mib.txt.gz: SHA-256 {gz}, expected {GZ_SHA256} (a corrupted checkout?)"
        ));
    }
    let mut text = Vec::with_capacity(TEXT_BYTES);
    flate2::read::GzDecoder::new(GZ)
        .take(TEXT_BYTES as u64 + 1)
        .read_to_end(&mut text)
        .map_err(|e| format!("data/kjv-text-1mib.txt.gz: {e}"))?;
    let content = Sha256Digest::of(&text);
    if text.len() != TEXT_BYTES || content.to_string() != TEXT_SHA256 {
        return Err(format!(
            "data/kjv-text-1mib.txt.gz decompresses to {} bytes with SHA-256 {content}, expected \
             {TEXT_BYTES} bytes with {TEXT_SHA256}",
            text.len()
        ));
    }
    split(&text, content)
}

/// The vocabulary and the three splits of `text`.
fn split(text: &[u8], content: Sha256Digest) -> Result<Corpus, String> {
    let mut seen = [false; 256];
    for &b in text {
        seen[usize::from(b)] = true;
    }
    let vocab: Vec<u8> = (0..=255u8).filter(|&b| seen[usize::from(b)]).collect();
    let mut id = [0u8; 256];
    for (i, &b) in vocab.iter().enumerate() {
        id[usize::from(b)] = u8::try_from(i).map_err(|_| "more than 256 tokens".to_owned())?;
    }
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let n = lines.len();
    let held = n / 20;
    if held == 0 {
        return Err(format!("{n} lines are too few to split"));
    }
    let ids = |range: std::ops::Range<usize>| -> Arc<Vec<u8>> {
        Arc::new(
            lines[range]
                .iter()
                .flat_map(|l| l.iter().map(|&b| id[usize::from(b)]))
                .collect(),
        )
    };
    Ok(Corpus {
        train: ids(0..n - 2 * held),
        valid: ids(n - 2 * held..n - held),
        test: ids(n - held..n),
        vocab,
        content,
        lines: [n - 2 * held, held, held],
    })
}

impl Corpus {
    /// Class: portable. The token ids of `text`; an error names a character that is not in
    /// the vocabulary.
    pub fn encode(&self, text: &str) -> Result<Vec<u8>, String> {
        text.bytes()
            .map(|b| {
                self.vocab
                    .binary_search(&b)
                    .ok()
                    .and_then(|i| u8::try_from(i).ok())
                    .ok_or_else(|| {
                        format!(
                            "{:?} is not one of the text's {} characters",
                            char::from(b),
                            self.vocab.len()
                        )
                    })
            })
            .collect()
    }

    /// Class: portable. The text of token ids `ids`.
    pub fn decode(&self, ids: &[u8]) -> String {
        ids.iter()
            .map(|&i| char::from(self.vocab[usize::from(i)]))
            .collect()
    }
}

/// Class: portable (a pure function of the index). A split's windows of `context + 1` token
/// ids, `context` apart: window `i` starts at token `i * context`, so consecutive windows share
/// one token and every token after the first is a target exactly once.
pub struct Windows {
    tokens: Arc<Vec<u8>>,
    context: usize,
}

impl Windows {
    /// Class: portable. The windows of `tokens`; `context` must be at least 1.
    pub fn new(tokens: Arc<Vec<u8>>, context: usize) -> Self {
        Self {
            tokens,
            context: context.max(1),
        }
    }
}

impl Dataset for Windows {
    type Item = Vec<u8>;

    fn len(&self) -> usize {
        self.tokens.len().saturating_sub(1) / self.context
    }

    fn get(&self, index: usize) -> Option<Vec<u8>> {
        let start = index.checked_mul(self.context)?;
        let end = start.checked_add(self.context + 1)?;
        self.tokens.get(start..end).map(<[u8]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_text_splits_by_lines() {
        let c = load().unwrap();
        assert_eq!(c.vocab.len(), 72);
        assert_eq!(c.lines, [4977, 276, 276]);
        let total = c.train.len() + c.valid.len() + c.test.len();
        assert_eq!(total, TEXT_BYTES);
        assert_eq!(
            c.decode(&c.encode("In the beginning").unwrap()),
            "In the beginning"
        );
        assert!(c.encode("{").is_err());
        let w = Windows::new(Arc::clone(&c.valid), 64);
        let (a, b) = (w.get(0).unwrap(), w.get(1).unwrap());
        assert_eq!((a.len(), a[64]), (65, b[0]));
        assert!(w.get(w.len() - 1).is_some() && w.get(w.len()).is_none());
    }
}
