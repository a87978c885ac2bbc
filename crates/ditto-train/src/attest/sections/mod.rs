//! A statement's sections as plain data (titles, paragraphs, tables of text and code cells),
//! so that the Markdown and the LaTeX renderings say the same things in the same order.
//! `record.rs` holds the sections on where the run was made and checked: its environment,
//! its verifications and how to reproduce it.

mod record;

use crate::attest::Statement;
use crate::model_record::ModelOrigin;
use record::{environment, reproduce, verified};

/// One table cell: prose, or a literal (a hash, a path, a command) shown as code.
pub(super) enum Cell {
    Text(String),
    Code(String),
}

/// A table: its column heads and rows.
pub(super) struct Table {
    pub(super) head: Vec<&'static str>,
    pub(super) rows: Vec<Vec<Cell>>,
}

/// A block of a section, in order.
pub(super) enum Block {
    Para(String),
    Table(Table),
    /// A literal block: its language (`toml`, `sh`) and text.
    Code(&'static str, String),
}

/// A section: its title and blocks.
pub(super) struct Section {
    pub(super) title: &'static str,
    pub(super) blocks: Vec<Block>,
}

pub(super) fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

pub(super) fn code(s: impl Into<String>) -> Cell {
    Cell::Code(s.into())
}

pub(super) fn pairs(rows: Vec<(&str, Cell)>) -> Block {
    Block::Table(Table {
        head: vec!["", ""],
        rows: rows.into_iter().map(|(k, v)| vec![text(k), v]).collect(),
    })
}

/// The statement's title.
pub(super) fn title(s: &Statement) -> String {
    match &s.run_id {
        Some(id) => format!("Attestation of ditto run {id}"),
        None => "Attestation of a ditto run".to_owned(),
    }
}

/// Every section, in the order both renderings print them.
pub(super) fn sections(s: &Statement) -> Vec<Section> {
    vec![
        run(s),
        model(s),
        data(s),
        Section {
            title: "Configuration",
            blocks: vec![
                Block::Para("The run's recorded config (config.toml), as written:".into()),
                Block::Code("toml", s.config_toml.clone()),
            ],
        },
        seeds(s),
        environment(s),
        result(s),
        verified(s),
        reproduce(s),
    ]
}

fn run(s: &Statement) -> Section {
    let id = s
        .run_id
        .as_ref()
        .map_or(text("(none: a run from before run identities)"), |r| {
            code(r.to_string())
        });
    Section {
        title: "Run",
        blocks: vec![
            Block::Para(format!(
                "Made by {} from the run directory's own files. Every value below can be \
                 checked with `ditto attest --verify` (see the last section).",
                s.made_by
            )),
            pairs(vec![
                ("run identity", id),
                ("run directory", code(&s.run_dir)),
                ("root seed", code(s.seed.to_string())),
                ("mode", code(s.mode.to_string())),
                ("backend", code(s.backend.to_string())),
            ]),
        ],
    }
}

fn model(s: &Statement) -> Section {
    let Some(m) = &s.model else {
        return Section {
            title: "What was trained",
            blocks: vec![Block::Para(
                "Not recorded: the run is from before ditto wrote model.json.".into(),
            )],
        };
    };
    let built = match m.origin {
        ModelOrigin::Config => "built by ditto from the config's [model] table",
        ModelOrigin::Program => "built by a program and given to Trainer::fit",
    };
    let rows = m
        .parameters
        .iter()
        .map(|p| {
            vec![
                code(&p.path),
                text(&p.module),
                code(format!("{:?}", p.shape)),
                text(&p.dtype),
                text(p.count.to_string()),
                code(&p.init_blake3),
            ]
        })
        .collect();
    Section {
        title: "What was trained",
        blocks: vec![
            Block::Para(format!(
                "{} ({built}): {} float parameter tensors, {} values. Each parameter's BLAKE3 \
                 is that of its values (little-endian f32) when training started.",
                m.type_name, m.tensors, m.values
            )),
            Block::Table(Table {
                head: vec![
                    "parameter",
                    "module",
                    "shape",
                    "dtype",
                    "values",
                    "BLAKE3 at initialisation",
                ],
                rows,
            }),
        ],
    }
}

fn data(s: &Statement) -> Section {
    let d = &s.data;
    let mut blocks = vec![Block::Para(format!("Source: {}.", d.source))];
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for f in d.files.iter().chain(&d.bundled) {
        rows.push(vec![
            text(&f.role),
            code(&f.path),
            f.sha256
                .as_ref()
                .map_or(text("not pinned"), |h| code(h.clone())),
            text(f.bytes.map_or("-".to_owned(), |b| b.to_string())),
        ]);
    }
    if let Some(h) = d.content_sha256 {
        rows.push(vec![
            text("in-memory content"),
            text("-"),
            code(h.to_string()),
            text("-"),
        ]);
    }
    if rows.is_empty() {
        blocks.push(Block::Para(
            "No data hash was recorded (data a program gave without its content hash).".into(),
        ));
    } else {
        blocks.push(Block::Table(Table {
            head: vec!["file", "path", "SHA-256", "bytes"],
            rows,
        }));
    }
    if let Some(names) = &d.class_names {
        blocks.push(Block::Para(format!(
            "Class names, in class order: {}.",
            names.join(", ")
        )));
    }
    Section {
        title: "Data",
        blocks,
    }
}

fn seeds(s: &Statement) -> Section {
    let rows = s
        .seeds
        .iter()
        .map(|l| {
            vec![
                code(&l.label),
                code(&l.derived_as),
                text(&l.used_for),
                code(&l.seed),
            ]
        })
        .collect();
    Section {
        title: "Seeds",
        blocks: vec![
            Block::Para(
                if s.seeds.iter().all(|l| l.derived_as.starts_with("root/")) {
                    format!(
                        "Every source of randomness derives from the root seed {} (ditto_rng's \
                     seed tree): each branch below is root.derive(label).",
                        s.seed
                    )
                } else {
                    format!(
                        "The sources of randomness derive from the root seed {} (ditto_rng's seed \
                     tree), except those the config's `[seeds]` table gives a seed of their \
                     own: each branch below is root.derive(label), or Seed::from_u64(s).\
                     derive(label) where \"derived as\" names an override s.",
                        s.seed
                    )
                },
            ),
            Block::Table(Table {
                head: vec!["branch", "derived as", "drives", "seed"],
                rows,
            }),
        ],
    }
}

fn result(s: &Statement) -> Section {
    let r = &s.result;
    let mut rows = vec![
        vec![text("steps"), text(r.steps.to_string())],
        vec![text("final fingerprint (BLAKE3)"), code(&r.fingerprint)],
        vec![
            text("test loss"),
            code(crate::attest::claims::loss_text(r.test_loss, "f32 bits")),
        ],
    ];
    for (k, v) in &r.test_metrics {
        rows.push(vec![text(format!("test {k}")), code(v.to_string())]);
    }
    Section {
        title: "Result",
        blocks: vec![Block::Table(Table {
            head: vec!["", ""],
            rows,
        })],
    }
}
