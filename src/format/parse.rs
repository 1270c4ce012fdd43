//! Round file → [`Round`]. Pure, allocation-light, and strict: every error names the line, the
//! section and the field.
//!
//! Two passes. The first walks the lines: banner, header, section headers and comments, and
//! lists the data rows. The second parses the rows, on two threads when there are many bytes of
//! them; the error reported is still the one of the first failing line, exactly as one thread
//! reading top to bottom would report it. Large values (a life's path) have a single-pass fast
//! reader for the forms the trackers write; anything else is re-read by the checking code, which
//! names the faulty field.

use std::fmt;

use super::model::*;

/// Longest line accepted. A 15-minute life sampled every 200 ms is about 300 KB; anything far
/// beyond that is not a round file.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Coordinates beyond this are not on any ET map (maps fit in ±65536 units).
const MAX_COORD: f64 = 1_000_000.0;
/// Times are milliseconds on the server clock, which fits in an `i32` on the server.
const MAX_TIME: i64 = i32::MAX as i64;
/// Longest name kept by the tracker (it truncates to 256 bytes; leave room for other trackers).
const MAX_NAME_BYTES: usize = 1024;
/// Below this many bytes of data rows (weighted as in `parse_rows`) a second thread costs more
/// than it saves.
const PARALLEL_MIN_BYTES: usize = 256 * 1024;

/// How to treat a file that does not end with `# END`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept a file without the `# END` marker (files from other trackers, once the caller has
    /// decided that they are no longer growing).
    pub assume_complete: bool,
}

/// Why a file could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number (0 when the problem concerns the whole file).
    pub line: usize,
    pub section: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

/// Why a file without `# END` is refused when it is not taken as complete.
const NO_END: &str = "the file has no `# END` marker: it is incomplete (or from another tracker; import it as complete once it has stopped growing)";

impl ParseError {
    /// Whether the file was refused only for lacking `# END` (it may still be being written).
    pub fn is_missing_end(&self) -> bool {
        self.line == 0 && self.message == NO_END
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}", self.line)?;
        } else {
            f.write_str("file")?;
        }
        if let Some(section) = &self.section {
            write!(f, ", section {section}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ParseError {}

/// A problem inside one field; the line and section are added by the caller.
#[derive(Debug)]
struct FieldError {
    field: String,
    message: String,
}

type FieldResult<T> = Result<T, FieldError>;

fn field_err<T>(field: impl Label, message: impl Into<String>) -> FieldResult<T> {
    Err(FieldError {
        field: field.spell(),
        message: message.into(),
    })
}

/// The name of a field, spelt out only when an error needs it (building `positions[12].x` for
/// every value that parses fine would cost more than parsing it).
trait Label: Copy {
    fn spell(self) -> String;
}

impl Label for &str {
    fn spell(self) -> String {
        self.to_string()
    }
}

/// `list[index]`, then `.sub[sub_index]` when `sub` is set, then `.what` unless `what` is empty.
#[derive(Clone, Copy)]
struct At<'a> {
    list: &'a str,
    index: usize,
    sub: Option<(&'a str, usize)>,
    what: &'a str,
}

impl<'a> At<'a> {
    fn new(list: &'a str, index: usize, what: &'a str) -> Self {
        At {
            list,
            index,
            sub: None,
            what,
        }
    }
}

impl Label for At<'_> {
    fn spell(self) -> String {
        let mut s = format!("{}[{}]", self.list, self.index);
        if let Some((sub, j)) = self.sub {
            s.push_str(&format!(".{sub}[{j}]"));
        }
        if !self.what.is_empty() {
            s.push('.');
            s.push_str(self.what);
        }
        s
    }
}

/// Parses a complete round file (one that ends with `# END`).
pub fn parse(bytes: &[u8]) -> Result<Round, ParseError> {
    parse_with(bytes, ParseOptions::default())
}

/// Parses a round file with explicit options.
pub fn parse_with(bytes: &[u8], options: ParseOptions) -> Result<Round, ParseError> {
    parse_rows_over(bytes, options, PARALLEL_MIN_BYTES)
}

/// [`parse_with`], parsing the data rows on two threads when they hold at least `parallel_min`
/// bytes (the tests force both ways).
fn parse_rows_over(
    bytes: &[u8],
    options: ParseOptions,
    parallel_min: usize,
) -> Result<Round, ParseError> {
    let mut rows = Vec::new();
    // The outline stops at its first problem, so every listed row comes before it: a failing
    // row is the first error of the file, and the outline's problem only stands if none fails.
    let outline = Parser::new(bytes, options).outline(&mut rows);
    let parsed = parse_rows(&rows, parallel_min)?;
    let mut round = outline?;
    parsed.move_into(&mut round);
    Ok(round)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SectionKind {
    Engagements,
    PlayerTracks,
    KillHeatmap,
    MovementHeatmap,
    ObjectiveFocus,
    ReactionMetrics,
    Game(GameSection),
    Skipped,
}

impl SectionKind {
    fn from_name(name: &[u8]) -> Self {
        match name {
            b"ENGAGEMENTS" => SectionKind::Engagements,
            b"PLAYER_TRACKS" => SectionKind::PlayerTracks,
            b"KILL_HEATMAP" => SectionKind::KillHeatmap,
            b"MOVEMENT_HEATMAP" => SectionKind::MovementHeatmap,
            b"OBJECTIVE_FOCUS" => SectionKind::ObjectiveFocus,
            b"REACTION_METRICS" => SectionKind::ReactionMetrics,
            b"REVIVES" => SectionKind::Game(GameSection::Revives),
            b"KILL_OUTCOME" => SectionKind::Game(GameSection::KillOutcome),
            b"WEAPON_ACCURACY" => SectionKind::Game(GameSection::WeaponAccuracy),
            b"HIT_REGIONS" => SectionKind::Game(GameSection::HitRegions),
            b"SPAWN_TIMING" => SectionKind::Game(GameSection::SpawnTiming),
            // The deployed tracker's name for the same rows.
            b"OBJECTIVE_EVENTS" | b"CONSTRUCTION_EVENTS" => {
                SectionKind::Game(GameSection::ObjectiveEvents)
            }
            b"CARRIER_EVENTS" => SectionKind::Game(GameSection::CarrierEvents),
            b"CARRIER_RETURNS" => SectionKind::Game(GameSection::CarrierReturns),
            b"ESCORT_CREDIT" => SectionKind::Game(GameSection::EscortCredit),
            _ => SectionKind::Skipped,
        }
    }
}

/// A data row of a section this reader parses, not parsed yet.
struct Row<'a> {
    line_no: usize,
    kind: SectionKind,
    /// The section's name as written (`[A-Z][A-Z0-9_]*`).
    section: &'a [u8],
    line: &'a [u8],
}

struct Parser<'a> {
    bytes: &'a [u8],
    options: ParseOptions,
    line_no: usize,
    section: Option<(&'a [u8], SectionKind)>,
}

/// Header values collected before the first section.
#[derive(Default)]
struct HeaderDraft {
    map: Option<String>,
    round: Option<u8>,
    values: Vec<(String, String, usize)>,
}

impl<'a> Parser<'a> {
    fn new(bytes: &'a [u8], options: ParseOptions) -> Self {
        Parser {
            bytes,
            options,
            line_no: 0,
            section: None,
        }
    }

    fn error(&self, field: Option<String>, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line_no,
            section: self.section.map(|(name, _)| lossy(name)),
            field,
            message: message.into(),
        }
    }

    fn file_error(message: impl Into<String>) -> ParseError {
        ParseError {
            line: 0,
            section: None,
            field: None,
            message: message.into(),
        }
    }

    /// Everything but the data rows: the banner, the header, the sections (skipped ones with
    /// their row counts) and the end marker. The data rows of the sections this reader parses
    /// are appended to `rows`, up to the first problem.
    fn outline(mut self, rows: &mut Vec<Row<'a>>) -> Result<Round, ParseError> {
        if self.bytes.is_empty() {
            return Err(Self::file_error("the file is empty"));
        }
        if !self.bytes.ends_with(b"\n") {
            let lines = self.bytes.iter().filter(|&&b| b == b'\n').count() + 1;
            return Err(ParseError {
                line: lines,
                section: None,
                field: None,
                message: "the file ends in the middle of a line (cut while being written?)".into(),
            });
        }

        let mut banner: Option<Banner> = None;
        let mut header = HeaderDraft::default();
        let mut round: Option<Round> = None;
        let mut ended = false;
        let mut seen_known: Vec<SectionKind> = Vec::new();

        let mut rest = self.bytes;
        while !rest.is_empty() {
            let nl = find_newline(rest).unwrap_or(rest.len());
            let mut line = &rest[..nl];
            rest = &rest[(nl + 1).min(rest.len())..];
            self.line_no += 1;
            if line.len() > MAX_LINE_BYTES {
                return Err(self.error(
                    None,
                    format!(
                        "line is {} bytes long, more than the {} allowed",
                        line.len(),
                        MAX_LINE_BYTES
                    ),
                ));
            }
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            if ended {
                return Err(self.error(None, "content after the `# END` marker"));
            }

            if let Some(comment) = line.strip_prefix(b"#") {
                let comment = trim_ascii(comment);
                if banner.is_none() {
                    banner = Some(parse_banner(comment).ok_or_else(|| {
                        self.error(
                            None,
                            format!(
                                "not a proximity round file: expected a `# PROXIMITY_TRACKER_V4/V5/V6` banner, found `{}`",
                                String::from_utf8_lossy(&line[..line.len().min(80)])
                            ),
                        )
                    })?);
                    continue;
                }
                if comment == b"END" {
                    ended = true;
                    continue;
                }
                if is_section_name(comment) {
                    // A new section: the header (if still open) is complete.
                    let kind = SectionKind::from_name(comment);
                    if round.is_none() {
                        let banner = banner.expect("banner set above");
                        round = Some(Round::new(self.finish_header(banner, &header)?));
                    }
                    if kind != SectionKind::Skipped {
                        if seen_known.contains(&kind) {
                            self.section = None;
                            return Err(self
                                .error(None, format!("section {} appears twice", lossy(comment))));
                        }
                        seen_known.push(kind);
                    }
                    let r = round.as_mut().expect("round created above");
                    match kind {
                        SectionKind::ObjectiveFocus => r.objective_focus = Some(Vec::new()),
                        SectionKind::ReactionMetrics => r.reactions = Some(Vec::new()),
                        SectionKind::Game(g) => match g {
                            GameSection::Revives => r.revives = Some(Vec::new()),
                            GameSection::KillOutcome => r.kill_outcomes = Some(Vec::new()),
                            GameSection::WeaponAccuracy => r.weapon_accuracy = Some(Vec::new()),
                            GameSection::HitRegions => r.hit_regions = Some(Vec::new()),
                            GameSection::SpawnTiming => r.spawn_timing = Some(Vec::new()),
                            GameSection::ObjectiveEvents => r.objective_events = Some(Vec::new()),
                            GameSection::CarrierEvents => r.carries = Some(Vec::new()),
                            GameSection::CarrierReturns => r.carrier_returns = Some(Vec::new()),
                            GameSection::EscortCredit => r.escorts = Some(Vec::new()),
                        },
                        SectionKind::Skipped => r.skipped.push(SkippedSection {
                            name: lossy(comment),
                            rows: 0,
                        }),
                        _ => {}
                    }
                    self.section = Some((comment, kind));
                    continue;
                }
                if round.is_none() {
                    // Header line: `key=value`, or a free comment.
                    if let Some(eq) = comment.iter().position(|&b| b == b'=') {
                        let key = std::str::from_utf8(trim_ascii(&comment[..eq]))
                            .map_err(|_| self.error(None, "header key is not UTF-8"))?;
                        let value =
                            std::str::from_utf8(trim_ascii(&comment[eq + 1..])).map_err(|_| {
                                self.error(Some(key.to_string()), "header value is not UTF-8")
                            })?;
                        self.header_line(&mut header, key, value)?;
                    }
                }
                // Otherwise a column comment inside a section: nothing to do.
                continue;
            }

            // A data row.
            let Some((section, kind)) = self.section else {
                if banner.is_none() {
                    return Err(self.error(
                        None,
                        "not a proximity round file: expected a `# PROXIMITY_TRACKER_V4/V5/V6` banner",
                    ));
                }
                return Err(self.error(None, "data row outside of any section"));
            };
            if kind == SectionKind::Skipped {
                let r = round.as_mut().expect("a section implies a round");
                if let Some(s) = r.skipped.last_mut() {
                    s.rows += 1;
                }
            } else {
                rows.push(Row {
                    line_no: self.line_no,
                    kind,
                    section,
                    line,
                });
            }
        }

        self.section = None;
        self.line_no = 0;
        if banner.is_none() {
            return Err(Self::file_error(
                "not a proximity round file: no `# PROXIMITY_TRACKER_V4/V5/V6` banner",
            ));
        }
        if !ended && !self.options.assume_complete {
            return Err(Self::file_error(NO_END));
        }
        let mut round = match round {
            Some(r) => r,
            None => Round::new(self.finish_header(banner.expect("checked"), &header)?),
        };
        round.has_end_marker = ended;
        Ok(round)
    }

    fn header_line(
        &self,
        header: &mut HeaderDraft,
        key: &str,
        value: &str,
    ) -> Result<(), ParseError> {
        match key {
            "map" => {
                if value.is_empty() || value.len() > 128 || value.chars().any(char::is_control) {
                    return Err(
                        self.error(Some("map".into()), format!("invalid map name `{value}`"))
                    );
                }
                header.map = Some(value.to_string());
            }
            "round" => {
                let n: u8 = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=9).contains(n))
                    .ok_or_else(|| {
                        self.error(
                            Some("round".into()),
                            format!("invalid round number `{value}`"),
                        )
                    })?;
                header.round = Some(n);
            }
            _ => header
                .values
                .push((key.to_string(), value.to_string(), self.line_no)),
        }
        Ok(())
    }

    fn finish_header(&self, banner: Banner, draft: &HeaderDraft) -> Result<Header, ParseError> {
        let map = draft.map.clone().ok_or_else(|| {
            self.error(
                Some("map".into()),
                "the header has no `map=` line before the first section",
            )
        })?;
        let round = draft.round.ok_or_else(|| {
            self.error(
                Some("round".into()),
                "the header has no `round=` line before the first section",
            )
        })?;
        let mut h = Header::new(banner, map, round);
        for (key, value, line) in &draft.values {
            let err = |message: String| ParseError {
                line: *line,
                section: None,
                field: Some(key.clone()),
                message,
            };
            let int = |min: i64, max: i64| -> Result<i64, ParseError> {
                value
                    .parse::<i64>()
                    .ok()
                    .filter(|v| (min..=max).contains(v))
                    .ok_or_else(|| err(format!("`{value}` is not a whole number in {min}..={max}")))
            };
            match key.as_str() {
                "crossfire_window" => h.crossfire_window_ms = int(0, 600_000)?,
                "escape_time" => h.escape_time_ms = int(0, 600_000)?,
                "escape_distance" => {
                    h.escape_distance = value
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite() && (0.0..=MAX_COORD).contains(v))
                        .ok_or_else(|| err(format!("`{value}` is not a distance")))?
                }
                "position_sample_interval" => h.position_sample_interval_ms = int(1, 600_000)?,
                "round_start_unix" => h.round_start_unix = int(0, 32_503_680_000)?,
                "round_end_unix" => h.round_end_unix = int(0, 32_503_680_000)?,
                "tracker_version_full" => h.tracker_version_full = Some(value.clone()),
                "test_mode" => {
                    h.test_mode = Some(match value.as_str() {
                        "0" => false,
                        "1" => true,
                        _ => return Err(err(format!("`{value}` is not 0 or 1"))),
                    })
                }
                "axis_spawn_interval" => h.axis_spawn_interval_ms = Some(int(0, 3_600_000)?),
                "allies_spawn_interval" => h.allies_spawn_interval_ms = Some(int(0, 3_600_000)?),
                "capabilities" => h.capabilities = parse_capabilities(value).map_err(err)?,
                "winner" => {
                    h.winner = Some(match value.as_str() {
                        "" => Winner::Nobody,
                        v => Winner::Team(Team::parse_word(v.as_bytes()).ok_or_else(|| {
                            err(format!("`{v}` is not AXIS, ALLIES or empty (nobody)"))
                        })?),
                    })
                }
                "defender" => {
                    h.defender = Some(
                        Team::parse_word(value.as_bytes())
                            .ok_or_else(|| err(format!("`{value}` is not AXIS or ALLIES")))?,
                    )
                }
                "time_set" => h.time_set_ms = Some(int(0, MAX_TIME)?),
                _ => h.extra.push((key.clone(), value.clone())),
            }
        }
        Ok(h)
    }
}

// ---------------------------------------------------------------------------------------------
// Data rows

/// The parsed data rows, per section, in file order.
#[derive(Default)]
struct Parsed {
    engagements: Vec<Engagement>,
    tracks: Vec<PlayerTrack>,
    kill_heatmap: Vec<KillCell>,
    movement_heatmap: Vec<MovementCell>,
    objective_focus: Vec<ObjectiveFocus>,
    reactions: Vec<ReactionMetric>,
    revives: Vec<Revive>,
    kill_outcomes: Vec<KillOutcome>,
    weapon_accuracy: Vec<WeaponAccuracy>,
    hit_regions: Vec<HitRegionHit>,
    spawn_timing: Vec<SpawnTiming>,
    objective_events: Vec<ObjectiveEvent>,
    carries: Vec<Carry>,
    carrier_returns: Vec<CarrierReturn>,
    escorts: Vec<EscortCredit>,
}

impl Parsed {
    fn append(&mut self, mut later: Parsed) {
        self.engagements.append(&mut later.engagements);
        self.tracks.append(&mut later.tracks);
        self.kill_heatmap.append(&mut later.kill_heatmap);
        self.movement_heatmap.append(&mut later.movement_heatmap);
        self.objective_focus.append(&mut later.objective_focus);
        self.reactions.append(&mut later.reactions);
        self.revives.append(&mut later.revives);
        self.kill_outcomes.append(&mut later.kill_outcomes);
        self.weapon_accuracy.append(&mut later.weapon_accuracy);
        self.hit_regions.append(&mut later.hit_regions);
        self.spawn_timing.append(&mut later.spawn_timing);
        self.objective_events.append(&mut later.objective_events);
        self.carries.append(&mut later.carries);
        self.carrier_returns.append(&mut later.carrier_returns);
        self.escorts.append(&mut later.escorts);
    }

    /// Moves the rows into `round`, whose optional sections are already `Some` when present.
    fn move_into(self, round: &mut Round) {
        round.engagements = self.engagements;
        round.tracks = self.tracks;
        round.kill_heatmap = self.kill_heatmap;
        round.movement_heatmap = self.movement_heatmap;
        if !self.objective_focus.is_empty() {
            round.objective_focus = Some(self.objective_focus);
        }
        if !self.reactions.is_empty() {
            round.reactions = Some(self.reactions);
        }
        fill(&mut round.revives, self.revives);
        fill(&mut round.kill_outcomes, self.kill_outcomes);
        fill(&mut round.weapon_accuracy, self.weapon_accuracy);
        fill(&mut round.hit_regions, self.hit_regions);
        fill(&mut round.spawn_timing, self.spawn_timing);
        fill(&mut round.objective_events, self.objective_events);
        fill(&mut round.carries, self.carries);
        fill(&mut round.carrier_returns, self.carrier_returns);
        fill(&mut round.escorts, self.escorts);
    }
}

/// Puts parsed rows into a section the outline found (rows only exist under their section).
fn fill<T>(section: &mut Option<Vec<T>>, rows: Vec<T>) {
    if !rows.is_empty() {
        *section = Some(rows);
    }
}

/// Parses `rows`, on two threads when they hold at least `parallel_min` bytes (weighted by what
/// they cost to read). The threads take the rows before and after a split point that shares out
/// the cost evenly; the error is the one of the first failing row.
fn parse_rows(rows: &[Row], parallel_min: usize) -> Result<Parsed, ParseError> {
    // Rows of the other sections cost about three times as much per byte as PLAYER_TRACKS rows.
    let weight = |r: &Row| match r.kind {
        SectionKind::PlayerTracks => r.line.len(),
        _ => 3 * r.line.len(),
    };
    let total: usize = rows.iter().map(weight).sum();
    if total < parallel_min || rows.len() < 2 {
        return parse_rows_here(rows);
    }
    let mut split = 0;
    let mut first_half = 0;
    while split < rows.len() - 1 && first_half + weight(&rows[split]) / 2 < total / 2 {
        first_half += weight(&rows[split]);
        split += 1;
    }
    let (first, second) = rows.split_at(split);
    std::thread::scope(|scope| {
        let later = std::thread::Builder::new()
            .name("round-parse".into())
            .spawn_scoped(scope, || parse_rows_here(second));
        let earlier = parse_rows_here(first);
        let later = match later {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: read the rest here.
            Err(_) => parse_rows_here(second),
        };
        let mut parsed = earlier?;
        parsed.append(later?);
        Ok(parsed)
    })
}

/// Parses `rows` in order, stopping at the first that fails.
fn parse_rows_here(rows: &[Row]) -> Result<Parsed, ParseError> {
    let mut p = Parsed::default();
    for row in rows {
        let line = row.line;
        let result = match row.kind {
            SectionKind::Engagements => parse_engagement(line).map(|e| p.engagements.push(e)),
            SectionKind::PlayerTracks => parse_track(line).map(|t| p.tracks.push(t)),
            SectionKind::KillHeatmap => parse_kill_cell(line).map(|c| p.kill_heatmap.push(c)),
            SectionKind::MovementHeatmap => {
                parse_movement_cell(line).map(|c| p.movement_heatmap.push(c))
            }
            SectionKind::ObjectiveFocus => parse_objective(line).map(|o| p.objective_focus.push(o)),
            SectionKind::ReactionMetrics => parse_reaction(line).map(|m| p.reactions.push(m)),
            SectionKind::Game(GameSection::Revives) => {
                parse_revive(line).map(|r| p.revives.push(r))
            }
            SectionKind::Game(GameSection::KillOutcome) => {
                parse_kill_outcome(line).map(|k| p.kill_outcomes.push(k))
            }
            SectionKind::Game(GameSection::WeaponAccuracy) => {
                parse_weapon_accuracy(line).map(|w| p.weapon_accuracy.push(w))
            }
            SectionKind::Game(GameSection::HitRegions) => {
                parse_hit_region(line).map(|h| p.hit_regions.push(h))
            }
            SectionKind::Game(GameSection::SpawnTiming) => {
                parse_spawn_timing(line).map(|t| p.spawn_timing.push(t))
            }
            SectionKind::Game(GameSection::ObjectiveEvents) => {
                parse_objective_event(line).map(|o| p.objective_events.push(o))
            }
            SectionKind::Game(GameSection::CarrierEvents) => {
                parse_carry(line).map(|c| p.carries.push(c))
            }
            SectionKind::Game(GameSection::CarrierReturns) => {
                parse_carrier_return(line).map(|c| p.carrier_returns.push(c))
            }
            SectionKind::Game(GameSection::EscortCredit) => {
                parse_escort(line).map(|e| p.escorts.push(e))
            }
            SectionKind::Skipped => Ok(()),
        };
        result.map_err(|e| ParseError {
            line: row.line_no,
            section: Some(lossy(row.section)),
            field: Some(e.field),
            message: e.message,
        })?;
    }
    Ok(p)
}

/// The position of the first `\n` in `s`, sixteen bytes at a time.
fn find_newline(s: &[u8]) -> Option<usize> {
    const ONES: u128 = u128::from_ne_bytes([0x01; 16]);
    const HIGHS: u128 = u128::from_ne_bytes([0x80; 16]);
    const NEWLINES: u128 = u128::from_ne_bytes([b'\n'; 16]);
    let (chunks, tail) = s.as_chunks::<16>();
    for (i, chunk) in chunks.iter().enumerate() {
        // A byte of `w` is zero where the chunk has a newline. The lowest flagged byte is the
        // first zero byte (flags above a zero byte may be false, flags below it cannot).
        let w = u128::from_le_bytes(*chunk) ^ NEWLINES;
        let flags = w.wrapping_sub(ONES) & !w & HIGHS;
        if flags != 0 {
            return Some(i * 16 + (flags.trailing_zeros() / 8) as usize);
        }
    }
    let done = chunks.len() * 16;
    tail.iter().position(|&b| b == b'\n').map(|j| done + j)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_banner(comment: &[u8]) -> Option<Banner> {
    match comment {
        b"PROXIMITY_TRACKER_V4" => Some(Banner::V4),
        b"PROXIMITY_TRACKER_V5" => Some(Banner::V5),
        b"PROXIMITY_TRACKER_V6" => Some(Banner::V6),
        _ => None,
    }
}

fn parse_capabilities(value: &str) -> Result<Vec<(String, bool)>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|item| {
            let (name, flag) = item
                .split_once(':')
                .ok_or_else(|| format!("capability `{item}` is not `name:0|1`"))?;
            let on = match flag {
                "0" => false,
                "1" => true,
                _ => return Err(format!("capability `{item}` is not `name:0|1`")),
            };
            if name.is_empty() {
                return Err(format!("capability `{item}` has no name"));
            }
            Ok((name.to_string(), on))
        })
        .collect()
}

/// `# NAME` with NAME in `[A-Z][A-Z0-9_]*`.
fn is_section_name(s: &[u8]) -> bool {
    match s.split_first() {
        Some((first, rest)) => {
            first.is_ascii_uppercase()
                && rest
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
        }
        None => false,
    }
}

fn trim_ascii(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Field splitting

/// Splits `line` on `sep` into exactly `N` fields. Returns the field count on mismatch.
fn split_exact<const N: usize>(line: &[u8], sep: u8) -> Result<[&[u8]; N], usize> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut count = 0;
    for piece in line.split(|&b| b == sep) {
        if count < N {
            out[count] = piece;
        }
        count += 1;
    }
    if count == N { Ok(out) } else { Err(count) }
}

/// Splits `line` into `N` fields where the last one takes the rest of the line, separators
/// included (ENGAGEMENTS: the attackers field holds `;`).
fn split_with_rest<const N: usize>(line: &[u8], sep: u8) -> Result<[&[u8]; N], usize> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut rest = line;
    for (i, slot) in out.iter_mut().enumerate() {
        if i == N - 1 {
            *slot = rest;
            return Ok(out);
        }
        match rest.iter().position(|&b| b == sep) {
            Some(p) => {
                *slot = &rest[..p];
                rest = &rest[p + 1..];
            }
            None => return Err(i + 1),
        }
    }
    Ok(out)
}

fn field_count_error<T>(section: &str, expected: usize, found: usize) -> FieldResult<T> {
    field_err(
        "(row)",
        format!("{section} rows have {expected} `;`-separated fields, this one has {found}"),
    )
}

// ---------------------------------------------------------------------------------------------
// Values

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned()
}

/// A whole number, with optional leading `-`.
fn int(bytes: &[u8], field: impl Label) -> FieldResult<i64> {
    let (neg, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() {
        return if bytes.is_empty() {
            field_err(field, "is empty")
        } else {
            field_err(field, format!("`{}` is not a whole number", text(bytes)))
        };
    }
    if digits.len() > 18 {
        return field_err(field, format!("`{}` is out of range", text(bytes)));
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return field_err(field, format!("`{}` is not a whole number", text(bytes)));
        }
        v = v * 10 + i64::from(d - b'0');
    }
    Ok(if neg { -v } else { v })
}

fn int_in(bytes: &[u8], field: impl Label, min: i64, max: i64) -> FieldResult<i64> {
    let v = int(bytes, field)?;
    if v < min || v > max {
        return field_err(field, format!("{v} is outside {min}..={max}"));
    }
    Ok(v)
}

fn time(bytes: &[u8], field: impl Label) -> FieldResult<i64> {
    let v = int(bytes, field)?;
    if v < 0 {
        return field_err(field, format!("negative time {v} ms"));
    }
    if v > MAX_TIME {
        return field_err(field, format!("time {v} ms is out of range"));
    }
    Ok(v)
}

fn opt_time(bytes: &[u8], field: impl Label) -> FieldResult<Option<i64>> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        time(bytes, field).map(Some)
    }
}

fn count(bytes: &[u8], field: impl Label) -> FieldResult<i64> {
    int_in(bytes, field, 0, i64::from(i32::MAX))
}

fn flag(bytes: &[u8], field: impl Label) -> FieldResult<bool> {
    match bytes {
        b"1" => Ok(true),
        b"0" => Ok(false),
        b"" => field_err(field, "is empty"),
        other => field_err(field, format!("`{}` is not 0 or 1", text(other))),
    }
}

/// A decimal number. Plain decimals (`-123.4`) take a fast exact path; anything else goes
/// through the standard library, and non-finite values are refused.
fn float(bytes: &[u8], field: impl Label) -> FieldResult<f64> {
    if let Some(v) = fast_decimal(bytes) {
        return Ok(v);
    }
    if bytes.is_empty() {
        return field_err(field, "is empty");
    }
    let parsed = std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse::<f64>().ok());
    match parsed {
        Some(v) if v.is_finite() => Ok(v),
        Some(_) => field_err(field, format!("`{}` is not a finite number", text(bytes))),
        None => field_err(field, format!("`{}` is not a number", text(bytes))),
    }
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// `[-]digits[.digits]` with at most 15 significant digits: the mantissa and the power of ten
/// are exact doubles, so the division is correctly rounded, exactly like `str::parse`.
fn fast_decimal(bytes: &[u8]) -> Option<f64> {
    let (neg, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut frac_digits = 0usize;
    let mut seen_dot = false;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                digits += 1;
                if seen_dot {
                    frac_digits += 1;
                }
                if digits > 15 {
                    return None;
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return None,
        }
    }
    if digits == 0 || (seen_dot && frac_digits == 0) {
        return None;
    }
    let v = mantissa as f64 / POW10[frac_digits];
    Some(if neg { -v } else { v })
}

fn coord(bytes: &[u8], field: impl Label) -> FieldResult<f64> {
    let v = float(bytes, field)?;
    if v.abs() > MAX_COORD {
        return field_err(field, format!("coordinate {v} is out of range"));
    }
    Ok(v)
}

fn non_negative(bytes: &[u8], field: impl Label, max: f64) -> FieldResult<f64> {
    let v = float(bytes, field)?;
    if !(0.0..=max).contains(&v) {
        return field_err(field, format!("{v} is outside 0..={max}"));
    }
    Ok(v)
}

fn guid(bytes: &[u8], field: impl Label) -> FieldResult<String> {
    if bytes.is_empty() {
        return field_err(field, "is empty");
    }
    if bytes.len() > 64 {
        return field_err(field, format!("`{}…` is too long for a GUID", text(bytes)));
    }
    // Printable ASCII (what trackers write) is UTF-8 without control characters.
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        return Ok(lossy(bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => Ok(s.to_string()),
        _ => field_err(field, format!("`{}` is not a GUID", text(bytes))),
    }
}

fn opt_guid(bytes: &[u8], field: impl Label) -> FieldResult<Option<String>> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        guid(bytes, field).map(Some)
    }
}

fn name(bytes: &[u8], field: impl Label) -> FieldResult<Name> {
    if bytes.len() > MAX_NAME_BYTES {
        return field_err(field, format!("name is {} bytes long", bytes.len()));
    }
    Ok(Name(bytes.to_vec()))
}

fn word<T>(
    bytes: &[u8],
    field: impl Label,
    parse: fn(&[u8]) -> Option<T>,
    what: &str,
) -> FieldResult<T> {
    parse(bytes).ok_or_else(|| FieldError {
        field: field.spell(),
        message: if bytes.is_empty() {
            "is empty".to_string()
        } else {
            format!("`{}` is not a known {what}", text(bytes))
        },
    })
}

fn team(bytes: &[u8], field: impl Label) -> FieldResult<Team> {
    word(bytes, field, Team::parse_word, "team (AXIS or ALLIES)")
}

fn class(bytes: &[u8], field: impl Label) -> FieldResult<PlayerClass> {
    word(bytes, field, PlayerClass::parse_word, "class")
}

fn outcome(bytes: &[u8], field: impl Label) -> FieldResult<Outcome> {
    word(bytes, field, Outcome::parse_word, "outcome")
}

/// Splits a `|`-list; an empty field is an empty list.
fn items(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let empty = bytes.is_empty();
    bytes
        .split(|&b| b == b'|')
        .enumerate()
        .filter(move |(_, item)| !empty && !item.is_empty())
}

fn item_values<'a, const N: usize>(
    item: &'a [u8],
    field: &str,
    index: usize,
    layout: &str,
) -> FieldResult<[&'a [u8]; N]> {
    split_exact::<N>(item, b',').or_else(|found| {
        field_err(
            At::new(field, index, ""),
            format!("expected {N} `,`-separated values ({layout}), found {found}"),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Rows

fn parse_engagement(line: &[u8]) -> FieldResult<Engagement> {
    let e = engagement_fields(line)?;
    interval(e.start_time, e.end_time, e.duration)?;
    Ok(e)
}

/// A server frame at the usual 20 frames a second: a duration may differ from its end minus its
/// start by this much (one frame's rounding) and no more.
const FRAME_MS: i64 = 50;

/// Checks that a fight ends no earlier than it starts and that its duration is the time between.
fn interval(start: i64, end: i64, duration: i64) -> FieldResult<()> {
    if end < start {
        return field_err(
            "end_time",
            format!("{end} ms is before start_time {start} ms"),
        );
    }
    if (duration - (end - start)).abs() > FRAME_MS {
        return field_err(
            "duration",
            format!(
                "{duration} ms disagrees with end_time − start_time = {} ms",
                end - start
            ),
        );
    }
    Ok(())
}

fn engagement_fields(line: &[u8]) -> FieldResult<Engagement> {
    let f = split_with_rest::<24>(line, b';')
        .or_else(|found| field_count_error("ENGAGEMENTS", 24, found))?;
    let positions = parse_positions(f[22])?;
    let attackers = parse_attackers(f[23])?;
    let crossfire_participants = if f[14].is_empty() {
        Vec::new()
    } else {
        f[14]
            .split(|&b| b == b',')
            .enumerate()
            .map(|(i, g)| guid(g, At::new("crossfire_participants", i, "")))
            .collect::<FieldResult<Vec<_>>>()?
    };
    Ok(Engagement {
        id: int_in(f[0], "id", 0, i64::from(i32::MAX))?,
        start_time: time(f[1], "start_time")?,
        end_time: time(f[2], "end_time")?,
        duration: time(f[3], "duration")?,
        target_guid: guid(f[4], "target_guid")?,
        target_name: name(f[5], "target_name")?,
        target_team: team(f[6], "target_team")?,
        outcome: outcome(f[7], "outcome")?,
        total_damage: count(f[8], "total_damage")?,
        killer_guid: opt_guid(f[9], "killer_guid")?,
        killer_name: if f[10].is_empty() {
            None
        } else {
            Some(name(f[10], "killer_name")?)
        },
        num_attackers: count(f[11], "num_attackers")?,
        is_crossfire: flag(f[12], "is_crossfire")?,
        crossfire_delay: opt_time(f[13], "crossfire_delay")?,
        crossfire_participants,
        start: Vec3::new(
            coord(f[15], "start_x")?,
            coord(f[16], "start_y")?,
            coord(f[17], "start_z")?,
        ),
        end: Vec3::new(
            coord(f[18], "end_x")?,
            coord(f[19], "end_y")?,
            coord(f[20], "end_z")?,
        ),
        distance_traveled: non_negative(f[21], "distance_traveled", 1e9)?,
        positions,
        attackers,
    })
}

fn parse_positions(field: &[u8]) -> FieldResult<Vec<EngagementPoint>> {
    match fast_positions(field) {
        Some(points) => Ok(points),
        None => checked_positions(field),
    }
}

/// [`checked_positions`] in a single pass, like [`fast_path`]: `None` for anything but the
/// usual forms, and when it returns points, they are the ones `checked_positions` returns.
fn fast_positions(field: &[u8]) -> Option<Vec<EngagementPoint>> {
    // A point takes about 30 bytes.
    let mut out = Vec::with_capacity(field.len() / 24 + 1);
    let mut c = Cursor { s: field, p: 0 };
    while let Some(b) = c.peek() {
        if b == b'|' {
            c.p += 1;
            continue;
        }
        let (time, x, y, z) = c.time_and_position()?;
        let event = c.last_word(PositionEvent::parse_word)?;
        out.push(EngagementPoint {
            time,
            pos: Vec3::new(x, y, z),
            event,
        });
    }
    Some(out)
}

fn checked_positions(field: &[u8]) -> FieldResult<Vec<EngagementPoint>> {
    let mut out = Vec::with_capacity(field.iter().filter(|&&b| b == b'|').count() + 1);
    for (i, item) in items(field) {
        let v = item_values::<5>(item, "positions", i, "time,x,y,z,event")?;
        let at = |what| At::new("positions", i, what);
        out.push(EngagementPoint {
            time: time(v[0], at("time"))?,
            pos: Vec3::new(
                coord(v[1], at("x"))?,
                coord(v[2], at("y"))?,
                coord(v[3], at("z"))?,
            ),
            event: word(
                v[4],
                at("event"),
                PositionEvent::parse_word,
                "position event",
            )?,
        });
    }
    Ok(out)
}

fn parse_attackers(field: &[u8]) -> FieldResult<Vec<Attacker>> {
    let mut out = Vec::new();
    for (i, item) in items(field) {
        let v = item_values::<9>(
            item,
            "attackers",
            i,
            "guid,name,team,damage,hits,first_hit,last_hit,got_kill,weapons",
        )?;
        let at = |what| At::new("attackers", i, what);
        let mut weapons = Vec::new();
        for (w, pair) in v[8].split(|&b| b == b';').enumerate() {
            if pair.is_empty() {
                continue;
            }
            let weapon = |what| At {
                sub: Some(("weapons", w)),
                ..at(what)
            };
            let Some(colon) = pair.iter().position(|&b| b == b':') else {
                return field_err(
                    weapon(""),
                    format!("`{}` is not `weaponid:count`", text(pair)),
                );
            };
            weapons.push((
                int_in(&pair[..colon], weapon("id"), 0, 1023)?,
                count(&pair[colon + 1..], weapon("count"))?,
            ));
        }
        out.push(Attacker {
            guid: guid(v[0], at("guid"))?,
            name: name(v[1], at("name"))?,
            team: team(v[2], at("team"))?,
            damage: count(v[3], at("damage"))?,
            hits: count(v[4], at("hits"))?,
            first_hit: time(v[5], at("first_hit"))?,
            last_hit: time(v[6], at("last_hit"))?,
            got_kill: flag(v[7], at("got_kill"))?,
            weapons,
        });
    }
    Ok(out)
}

fn parse_track(line: &[u8]) -> FieldResult<PlayerTrack> {
    let track = match fast_track(line) {
        Some(track) => track,
        None => checked_track(line)?,
    };
    if let Some(death) = track.death_time
        && death < track.spawn_time
    {
        return field_err(
            "death_time",
            format!("{death} ms is before spawn_time {} ms", track.spawn_time),
        );
    }
    Ok(track)
}

/// [`checked_track`] for a row in the forms the trackers write, in one pass over its path;
/// `None` for anything else (including every faulty row), which the caller re-reads with
/// [`checked_track`]. When it returns a track, it is the one `checked_track` returns.
fn fast_track(line: &[u8]) -> Option<PlayerTrack> {
    // A `;` in the path makes `fast_path` fail, so this splits like `checked_track` does.
    let f = split_with_rest::<10>(line, b';').ok()?;
    let death_time = time(f[5], "death_time").ok()?;
    Some(PlayerTrack {
        guid: guid(f[0], "guid").ok()?,
        name: name(f[1], "name").ok()?,
        team: Team::parse_word(f[2])?,
        class: PlayerClass::parse_word(f[3])?,
        spawn_time: time(f[4], "spawn_time").ok()?,
        death_time: (death_time != 0).then_some(death_time),
        first_move_time: opt_time(f[6], "first_move_time").ok()?,
        death_type: DeathType::parse_word(f[7])?,
        samples: count(f[8], "samples").ok()?,
        path: fast_path(f[9])?,
    })
}

/// A path read left to right in a single pass, accepting only what [`parse_path`] accepts and
/// with the same values: whole numbers as [`int`] reads them, decimals as [`fast_decimal`] reads
/// them, the same ranges, and empty items skipped. `None` for anything else.
fn fast_path(field: &[u8]) -> Option<Vec<TrackSample>> {
    // Roughly one sample per 50 bytes: reserve to avoid regrowth on long lives.
    let mut out = Vec::with_capacity(field.len() / 40 + 1);
    let mut c = Cursor { s: field, p: 0 };
    while let Some(b) = c.peek() {
        if b == b'|' {
            c.p += 1;
            continue;
        }
        let (time, x, y, z) = c.time_and_position()?;
        let health = c.int(b',').filter(|h| h.abs() <= 100_000)?;
        let speed = c.decimal(b',').filter(|s| (0.0..=100_000.0).contains(s))?;
        let weapon = c.int(b',').filter(|w| (0..=1023).contains(w))?;
        let stance = Stance::from_code(c.digit(b',')?)?;
        let sprint = match c.digit(b',')? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let event = c.path_event()?;
        out.push(TrackSample {
            time,
            pos: Vec3::new(x, y, z),
            health,
            speed,
            weapon,
            stance,
            sprint,
            event,
        });
    }
    Some(out)
}

const POW10_INT: [u64; 16] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
];

/// A reading position in a `|`-list of `,`-separated values.
struct Cursor<'a> {
    s: &'a [u8],
    p: usize,
}

impl Cursor<'_> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.p).copied()
    }

    /// Moves past `sep`, which must come next.
    #[inline(always)]
    fn expect(&mut self, sep: u8) -> Option<()> {
        (self.peek()? == sep).then(|| self.p += 1)
    }

    /// Digits from here; how many, and their value (wrapped if there are too many to matter).
    #[inline(always)]
    fn digits(&mut self) -> (usize, u64) {
        let start = self.p;
        let mut v: u64 = 0;
        while let Some(&b) = self.s.get(self.p) {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            self.p += 1;
        }
        (self.p - start, v)
    }

    /// The `time,x,y,z,` that paths and engagement points start with, in range.
    #[inline(always)]
    fn time_and_position(&mut self) -> Option<(i64, f64, f64, f64)> {
        let time = self.int(b',').filter(|t| (0..=MAX_TIME).contains(t))?;
        let x = self.decimal(b',').filter(|v| v.abs() <= MAX_COORD)?;
        let y = self.decimal(b',').filter(|v| v.abs() <= MAX_COORD)?;
        let z = self.decimal(b',').filter(|v| v.abs() <= MAX_COORD)?;
        Some((time, x, y, z))
    }

    /// A whole number as [`int`] reads it (`-`, then 1 to 18 digits), then `sep`.
    #[inline(always)]
    fn int(&mut self, sep: u8) -> Option<i64> {
        let neg = self.peek() == Some(b'-');
        self.p += usize::from(neg);
        let (n, v) = self.digits();
        if n == 0 || n > 18 {
            return None;
        }
        self.expect(sep)?;
        // 18 digits fit in an i64. Negated without a branch: `(v ^ -1) + 1 == -v`.
        let minus = -i64::from(neg);
        Some((v as i64 ^ minus) - minus)
    }

    /// A decimal as [`fast_decimal`] reads it, then `sep`.
    #[inline(always)]
    fn decimal(&mut self, sep: u8) -> Option<f64> {
        let neg = self.peek() == Some(b'-');
        self.p += usize::from(neg);
        let (whole, whole_value) = self.digits();
        let (frac, frac_value) = if self.peek() == Some(b'.') {
            self.p += 1;
            match self.digits() {
                (0, _) => return None,
                digits => digits,
            }
        } else {
            (0, 0)
        };
        if whole + frac == 0 || whole + frac > 15 {
            return None;
        }
        self.expect(sep)?;
        // The mantissa of all the digits, as `fast_decimal` accumulates it (below 10^15, so
        // exact as an i64 and as a double).
        let mantissa = whole_value * POW10_INT[frac] + frac_value;
        let v = mantissa as i64 as f64 / POW10[frac];
        // Negated without a branch: flipping the sign bit is what `-v` does.
        Some(f64::from_bits(v.to_bits() ^ (u64::from(neg) << 63)))
    }

    /// One digit, then `sep`.
    #[inline(always)]
    fn digit(&mut self, sep: u8) -> Option<u8> {
        let d = self.peek()?.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        self.p += 1;
        self.expect(sep)?;
        Some(d)
    }

    /// The event word that ends a path item, and the `|` after it if any.
    #[inline(always)]
    fn path_event(&mut self) -> Option<PathEvent> {
        // The usual case, quickly.
        if self.s[self.p..].starts_with(b"sample|") {
            self.p += 7;
            return Some(PathEvent::Sample);
        }
        self.last_word(PathEvent::parse_word)
    }

    /// The word that ends an item, read with `parse`, and the `|` after it if any. No word of
    /// the vocabularies holds a `,`, so a word with one is refused as the checking code does.
    #[inline(always)]
    fn last_word<T>(&mut self, parse: fn(&[u8]) -> Option<T>) -> Option<T> {
        let rest = &self.s[self.p..];
        let len = rest.iter().position(|&b| b == b'|').unwrap_or(rest.len());
        let word = parse(&rest[..len])?;
        self.p += len + usize::from(len < rest.len());
        Some(word)
    }
}

fn checked_track(line: &[u8]) -> FieldResult<PlayerTrack> {
    let f = split_exact::<10>(line, b';')
        .or_else(|found| field_count_error("PLAYER_TRACKS", 10, found))?;
    let death_time = time(f[5], "death_time")?;
    Ok(PlayerTrack {
        guid: guid(f[0], "guid")?,
        name: name(f[1], "name")?,
        team: team(f[2], "team")?,
        class: class(f[3], "class")?,
        spawn_time: time(f[4], "spawn_time")?,
        death_time: (death_time != 0).then_some(death_time),
        first_move_time: opt_time(f[6], "first_move_time")?,
        death_type: word(f[7], "death_type", DeathType::parse_word, "death type")?,
        samples: count(f[8], "samples")?,
        path: parse_path(f[9])?,
    })
}

fn parse_path(field: &[u8]) -> FieldResult<Vec<TrackSample>> {
    // Roughly one sample per 50 bytes: reserve to avoid regrowth on long lives.
    let mut out = Vec::with_capacity(field.len() / 40 + 1);
    for (i, item) in items(field) {
        let v = item_values::<10>(
            item,
            "path",
            i,
            "time,x,y,z,health,speed,weapon,stance,sprint,event",
        )?;
        // Fast path: build field labels only when a value is wrong.
        let sample = (|| -> Option<TrackSample> {
            Some(TrackSample {
                time: quick_time(v[0])?,
                pos: Vec3::new(quick_coord(v[1])?, quick_coord(v[2])?, quick_coord(v[3])?),
                health: quick_int(v[4]).filter(|h| h.abs() <= 100_000)?,
                speed: fast_decimal(v[5]).filter(|s| (0.0..=100_000.0).contains(s))?,
                weapon: quick_int(v[6]).filter(|w| (0..=1023).contains(w))?,
                stance: match v[7] {
                    [d] if d.is_ascii_digit() => Stance::from_code(d - b'0')?,
                    _ => return None,
                },
                sprint: match v[8] {
                    b"0" => false,
                    b"1" => true,
                    _ => return None,
                },
                event: PathEvent::parse_word(v[9])?,
            })
        })();
        match sample {
            Some(s) => out.push(s),
            None => return Err(path_sample_error(i, &v)),
        }
    }
    Ok(out)
}

/// Re-parses a bad path sample with full checks to name the faulty value.
fn path_sample_error(i: usize, v: &[&[u8]; 10]) -> FieldError {
    let at = |what| At::new("path", i, what);
    let check = || -> FieldResult<()> {
        time(v[0], at("time"))?;
        coord(v[1], at("x"))?;
        coord(v[2], at("y"))?;
        coord(v[3], at("z"))?;
        int_in(v[4], at("health"), -100_000, 100_000)?;
        non_negative(v[5], at("speed"), 100_000.0)?;
        int_in(v[6], at("weapon"), 0, 1023)?;
        let stance = int(v[7], at("stance"))?;
        if !(0..=2).contains(&stance) {
            return field_err(at("stance"), format!("{stance} is not 0, 1 or 2"));
        }
        flag(v[8], at("sprint"))?;
        word(v[9], at("event"), PathEvent::parse_word, "path event")?;
        Ok(())
    };
    match check() {
        Err(e) => e,
        // Valid by the slow rules but not the fast ones (e.g. `1e2`): say so plainly.
        Ok(()) => FieldError {
            field: format!("path[{i}]"),
            message: "a value is written in an unsupported number form".into(),
        },
    }
}

fn quick_int(bytes: &[u8]) -> Option<i64> {
    int(bytes, "").ok()
}

fn quick_time(bytes: &[u8]) -> Option<i64> {
    quick_int(bytes).filter(|t| (0..=MAX_TIME).contains(t))
}

fn quick_coord(bytes: &[u8]) -> Option<f64> {
    fast_decimal(bytes).filter(|v| v.abs() <= MAX_COORD)
}

fn parse_kill_cell(line: &[u8]) -> FieldResult<KillCell> {
    let f = split_exact::<4>(line, b';')
        .or_else(|found| field_count_error("KILL_HEATMAP", 4, found))?;
    Ok(KillCell {
        grid_x: int_in(f[0], "grid_x", -10_000, 10_000)?,
        grid_y: int_in(f[1], "grid_y", -10_000, 10_000)?,
        axis_kills: count(f[2], "axis_kills")?,
        allies_kills: count(f[3], "allies_kills")?,
    })
}

fn parse_movement_cell(line: &[u8]) -> FieldResult<MovementCell> {
    let f = split_exact::<5>(line, b';')
        .or_else(|found| field_count_error("MOVEMENT_HEATMAP", 5, found))?;
    Ok(MovementCell {
        grid_x: int_in(f[0], "grid_x", -10_000, 10_000)?,
        grid_y: int_in(f[1], "grid_y", -10_000, 10_000)?,
        traversal: count(f[2], "traversal")?,
        combat: count(f[3], "combat")?,
        escape: count(f[4], "escape")?,
    })
}

fn parse_objective(line: &[u8]) -> FieldResult<ObjectiveFocus> {
    let f = split_exact::<7>(line, b';')
        .or_else(|found| field_count_error("OBJECTIVE_FOCUS", 7, found))?;
    Ok(ObjectiveFocus {
        guid: guid(f[0], "guid")?,
        name: name(f[1], "name")?,
        team: team(f[2], "team")?,
        objective: name(f[3], "objective")?,
        avg_distance: non_negative(f[4], "avg_distance", 1e9)?,
        time_within_radius_ms: time(f[5], "time_within_radius_ms")?,
        samples: count(f[6], "samples")?,
    })
}

fn parse_reaction(line: &[u8]) -> FieldResult<ReactionMetric> {
    let r = reaction_fields(line)?;
    interval(r.start_time, r.end_time, r.duration)?;
    Ok(r)
}

fn reaction_fields(line: &[u8]) -> FieldResult<ReactionMetric> {
    let f = split_exact::<13>(line, b';')
        .or_else(|found| field_count_error("REACTION_METRICS", 13, found))?;
    Ok(ReactionMetric {
        engagement_id: int_in(f[0], "engagement_id", 0, i64::from(i32::MAX))?,
        target_guid: guid(f[1], "target_guid")?,
        target_name: name(f[2], "target_name")?,
        target_team: team(f[3], "target_team")?,
        target_class: class(f[4], "target_class")?,
        outcome: outcome(f[5], "outcome")?,
        num_attackers: count(f[6], "num_attackers")?,
        return_fire_ms: opt_time(f[7], "return_fire_ms")?,
        dodge_reaction_ms: opt_time(f[8], "dodge_reaction_ms")?,
        support_reaction_ms: opt_time(f[9], "support_reaction_ms")?,
        start_time: time(f[10], "start_time")?,
        end_time: time(f[11], "end_time")?,
        duration: time(f[12], "duration")?,
    })
}

fn opt_name(bytes: &[u8], field: impl Label) -> FieldResult<Option<Name>> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        name(bytes, field).map(Some)
    }
}

fn opt_float(bytes: &[u8], field: impl Label, max: f64) -> FieldResult<Option<f64>> {
    if bytes.is_empty() {
        Ok(None)
    } else {
        non_negative(bytes, field, max).map(Some)
    }
}

/// A `WP_*` or `MOD_*` number: any non-negative id is kept (an id this reader does not know is
/// reported by the importer, not refused).
fn id_number(bytes: &[u8], field: impl Label) -> FieldResult<i64> {
    int_in(bytes, field, 0, 9_999)
}

fn parse_revive(line: &[u8]) -> FieldResult<Revive> {
    let f =
        split_exact::<11>(line, b';').or_else(|found| field_count_error("REVIVES", 11, found))?;
    Ok(Revive {
        time: time(f[0], "time")?,
        medic_guid: guid(f[1], "medic_guid")?,
        medic_name: name(f[2], "medic_name")?,
        revived_guid: guid(f[3], "revived_guid")?,
        revived_name: name(f[4], "revived_name")?,
        pos: Vec3::new(coord(f[5], "x")?, coord(f[6], "y")?, coord(f[7], "z")?),
        distance_to_enemy: opt_float(f[8], "distance_to_enemy", 1e9)?,
        nearest_enemy_guid: opt_guid(f[9], "nearest_enemy_guid")?,
        under_fire: flag(f[10], "under_fire")?,
    })
}

fn parse_kill_outcome(line: &[u8]) -> FieldResult<KillOutcome> {
    let f = split_exact::<14>(line, b';')
        .or_else(|found| field_count_error("KILL_OUTCOME", 14, found))?;
    let k = KillOutcome {
        kill_time: time(f[0], "kill_time")?,
        victim_guid: guid(f[1], "victim_guid")?,
        victim_name: name(f[2], "victim_name")?,
        killer_guid: guid(f[3], "killer_guid")?,
        killer_name: name(f[4], "killer_name")?,
        kill_mod: id_number(f[5], "kill_mod")?,
        outcome: word(f[6], "outcome", KillFate::parse_word, "kill outcome")?,
        outcome_time: time(f[7], "outcome_time")?,
        delta_ms: time(f[8], "delta_ms")?,
        effective_denied_ms: opt_time(f[9], "effective_denied_ms")?,
        gibber_guid: opt_guid(f[10], "gibber_guid")?,
        gibber_name: opt_name(f[11], "gibber_name")?,
        reviver_guid: opt_guid(f[12], "reviver_guid")?,
        reviver_name: opt_name(f[13], "reviver_name")?,
    };
    if k.outcome_time < k.kill_time {
        return field_err(
            "outcome_time",
            format!(
                "{} ms is before the kill at {} ms",
                k.outcome_time, k.kill_time
            ),
        );
    }
    Ok(k)
}

fn parse_weapon_accuracy(line: &[u8]) -> FieldResult<WeaponAccuracy> {
    let f = split_exact::<8>(line, b';')
        .or_else(|found| field_count_error("WEAPON_ACCURACY", 8, found))?;
    Ok(WeaponAccuracy {
        player_guid: guid(f[0], "player_guid")?,
        player_name: name(f[1], "player_name")?,
        team: team(f[2], "team")?,
        weapon: id_number(f[3], "weapon_id")?,
        shots_fired: count(f[4], "shots_fired")?,
        hits: count(f[5], "hits")?,
        kills: count(f[6], "kills")?,
        headshots: count(f[7], "headshots")?,
    })
}

fn parse_hit_region(line: &[u8]) -> FieldResult<HitRegionHit> {
    let f =
        split_exact::<8>(line, b';').or_else(|found| field_count_error("HIT_REGIONS", 8, found))?;
    let region = int(f[6], "region")?;
    Ok(HitRegionHit {
        time: time(f[0], "time")?,
        attacker_guid: guid(f[1], "attacker_guid")?,
        attacker_name: name(f[2], "attacker_name")?,
        victim_guid: guid(f[3], "victim_guid")?,
        victim_name: name(f[4], "victim_name")?,
        weapon: id_number(f[5], "weapon")?,
        region: HitRegion::from_code(region).ok_or_else(|| FieldError {
            field: "region".into(),
            message: format!("{region} is not a hit region (0 head, 1 arms, 2 body, 3 legs)"),
        })?,
        damage: count(f[7], "damage")?,
    })
}

fn parse_spawn_timing(line: &[u8]) -> FieldResult<SpawnTiming> {
    let f = split_exact::<12>(line, b';')
        .or_else(|found| field_count_error("SPAWN_TIMING", 12, found))?;
    Ok(SpawnTiming {
        killer_guid: guid(f[0], "killer_guid")?,
        killer_name: name(f[1], "killer_name")?,
        killer_team: team(f[2], "killer_team")?,
        victim_guid: guid(f[3], "victim_guid")?,
        victim_name: name(f[4], "victim_name")?,
        victim_team: team(f[5], "victim_team")?,
        kill_time: time(f[6], "kill_time")?,
        enemy_spawn_interval: opt_time(f[7], "enemy_spawn_interval")?,
        time_to_next_spawn: opt_time(f[8], "time_to_next_spawn")?,
        spawn_timing_score: opt_float(f[9], "spawn_timing_score", 1000.0)?,
        killer_reinf: opt_float(f[10], "killer_reinf", 3600.0)?,
        victim_reinf: opt_float(f[11], "victim_reinf", 3600.0)?,
    })
}

fn parse_objective_event(line: &[u8]) -> FieldResult<ObjectiveEvent> {
    let f = split_exact::<9>(line, b';')
        .or_else(|found| field_count_error("OBJECTIVE_EVENTS", 9, found))?;
    let action = match std::str::from_utf8(f[1]) {
        Ok(w) if !w.is_empty() && w.bytes().all(|b| b.is_ascii_graphic()) => {
            ObjectiveAction::from_word(w)
        }
        Ok("") => return field_err("event_type", "is empty"),
        _ => {
            return field_err(
                "event_type",
                format!("`{}` is not an event word", text(f[1])),
            );
        }
    };
    Ok(ObjectiveEvent {
        time: time(f[0], "event_time")?,
        action,
        player_guid: guid(f[2], "player_guid")?,
        player_name: name(f[3], "player_name")?,
        player_team: team(f[4], "player_team")?,
        track_name: name(f[5], "track_name")?,
        pos: Vec3::new(
            coord(f[6], "player_x")?,
            coord(f[7], "player_y")?,
            coord(f[8], "player_z")?,
        ),
    })
}

fn parse_carry(line: &[u8]) -> FieldResult<Carry> {
    let f = split_exact::<20>(line, b';')
        .or_else(|found| field_count_error("CARRIER_EVENTS", 20, found))?;
    let c = Carry {
        carrier_guid: guid(f[0], "carrier_guid")?,
        carrier_name: name(f[1], "carrier_name")?,
        carrier_team: team(f[2], "carrier_team")?,
        flag_team: team(f[3], "flag_team")?,
        pickup_time: time(f[4], "pickup_time")?,
        drop_time: time(f[5], "drop_time")?,
        duration_ms: time(f[6], "duration_ms")?,
        outcome: word(f[7], "outcome", CarryOutcome::parse_word, "carry outcome")?,
        carry_distance: non_negative(f[8], "carry_distance", 1e9)?,
        beeline_distance: non_negative(f[9], "beeline_distance", 1e9)?,
        efficiency: non_negative(f[10], "efficiency", 1000.0)?,
        path_samples: count(f[11], "path_samples")?,
        pickup_pos: Vec3::new(
            coord(f[12], "pickup_x")?,
            coord(f[13], "pickup_y")?,
            coord(f[14], "pickup_z")?,
        ),
        drop_pos: Vec3::new(
            coord(f[15], "drop_x")?,
            coord(f[16], "drop_y")?,
            coord(f[17], "drop_z")?,
        ),
        killer_guid: opt_guid(f[18], "killer_guid")?,
        killer_name: opt_name(f[19], "killer_name")?,
    };
    if c.drop_time < c.pickup_time {
        return field_err(
            "drop_time",
            format!(
                "{} ms is before the pickup at {} ms",
                c.drop_time, c.pickup_time
            ),
        );
    }
    Ok(c)
}

fn parse_carrier_return(line: &[u8]) -> FieldResult<CarrierReturn> {
    let f = split_exact::<11>(line, b';')
        .or_else(|found| field_count_error("CARRIER_RETURNS", 11, found))?;
    // A return on the game's timeout has no returner: all three fields empty.
    let returner = match (f[1], f[3]) {
        (b"", b"") if f[2].is_empty() => None,
        _ => Some(Returner {
            guid: guid(f[1], "returner_guid")?,
            name: name(f[2], "returner_name")?,
            team: team(f[3], "returner_team")?,
        }),
    };
    Ok(CarrierReturn {
        return_time: time(f[0], "return_time")?,
        returner,
        flag_team: team(f[4], "flag_team")?,
        original_carrier_guid: opt_guid(f[5], "original_carrier_guid")?,
        drop_time: opt_time(f[6], "drop_time")?,
        return_delay_ms: opt_time(f[7], "return_delay_ms")?,
        drop_pos: if f[8..11].iter().all(|v| v.is_empty()) {
            None
        } else {
            Some(Vec3::new(
                coord(f[8], "drop_x")?,
                coord(f[9], "drop_y")?,
                coord(f[10], "drop_z")?,
            ))
        },
    })
}

fn parse_escort(line: &[u8]) -> FieldResult<EscortCredit> {
    let f = split_exact::<9>(line, b';')
        .or_else(|found| field_count_error("ESCORT_CREDIT", 9, found))?;
    Ok(EscortCredit {
        player_guid: guid(f[0], "player_guid")?,
        player_name: name(f[1], "player_name")?,
        player_team: team(f[2], "player_team")?,
        vehicle_name: name(f[3], "vehicle_name")?,
        mounted_time_ms: time(f[4], "mounted_time_ms")?,
        proximity_time_ms: time(f[5], "proximity_time_ms")?,
        total_escort_distance: non_negative(f[6], "total_escort_distance", 1e9)?,
        credit_distance: non_negative(f[7], "credit_distance", 1e9)?,
        samples: count(f[8], "samples")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_decimal_matches_std() {
        for s in [
            "0",
            "-0.0",
            "123.4",
            "-1234.5",
            "65535.9",
            "0.1",
            "999999999999999",
            "1.00000000000001",
        ] {
            assert_eq!(
                fast_decimal(s.as_bytes()),
                Some(s.parse::<f64>().unwrap()),
                "{s}"
            );
        }
        for s in [
            "",
            "-",
            ".",
            "1.",
            "1e3",
            "nan",
            "inf",
            "1.2.3",
            "12a",
            "1.000000000000001",
        ] {
            assert_eq!(fast_decimal(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn split_with_rest_keeps_separators_in_last_field() {
        let f = split_with_rest::<3>(b"a;b;c;d;e;", b';').unwrap();
        assert_eq!(f, [&b"a"[..], b"b", b"c;d;e;"]);
        assert_eq!(split_with_rest::<3>(b"a;b", b';'), Err(2));
    }

    #[test]
    fn find_newline_finds_the_first() {
        for len in 0..70 {
            for at in 0..=len {
                let mut s = vec![b'x'; len];
                if at < len {
                    s[at] = b'\n';
                    // Bytes that trip naive zero-byte tricks, after the newline.
                    for b in s.iter_mut().skip(at + 1).step_by(3) {
                        *b = 0x0b;
                    }
                }
                s.extend_from_slice(b"\n\n");
                assert_eq!(find_newline(&s), Some(at.min(len)), "{len} {at}");
            }
        }
        assert_eq!(
            find_newline(&[0x0b, 0x8a, 0xff, 0x00, 0x09].repeat(9)),
            None
        );
    }

    /// A small deterministic generator for the tests below.
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }

        /// `line` with a few spans replaced by bytes that matter to the readers.
        fn mutate(&mut self, line: &[u8]) -> Vec<u8> {
            const PIECES: &[&[u8]] = &[
                b";",
                b"|",
                b",",
                b":",
                b"-",
                b".",
                b"\xff",
                b"\r",
                b" ",
                b"a",
                b"",
                b"0",
                b"9",
                b"e",
                b"+",
                b"-0",
                b".5",
                b"5.",
                b"--",
                b"1e2",
                b"inf",
                b"1.5",
                b"\x01",
                b"\xc3\xa9",
                b"00000000000000000000",
                b"123456789012345",
                b"1234567890123456",
                b"0.000000000000001",
                b"99999999999",
                b"2147483647",
                b"2147483648",
                b"1000001",
                b"100000",
                b"100001",
                b"-100000",
                b"1023",
                b"1024",
                b"3",
                b"sample",
                b"spawn",
                b"killed",
                b"hit",
                b"death",
            ];
            let mut v = line.to_vec();
            for _ in 0..1 + self.below(3) {
                if v.is_empty() {
                    break;
                }
                let at = self.below(v.len());
                // Half the time a digit for another: the row usually stays valid.
                if self.below(2) == 0 {
                    if v[at].is_ascii_digit() {
                        v[at] = b'0' + self.below(10) as u8;
                    }
                    continue;
                }
                let len = self.below(4).min(v.len() - at);
                let piece = PIECES[self.below(PIECES.len())];
                v.splice(at..at + len, piece.iter().copied());
            }
            v
        }
    }

    fn synthetic(players: usize, seconds: u32, seed: u64) -> Vec<u8> {
        use crate::synth::{SynthOptions, synth_round};
        crate::format::write(&synth_round(&SynthOptions::new(
            "supply", 1, players, seconds, seed,
        )))
    }

    /// The rows of `section` in `text`.
    fn rows_of<'a>(text: &'a [u8], section: &str) -> Vec<&'a [u8]> {
        let header = format!("# {section}");
        text.split(|&b| b == b'\n')
            .skip_while(|l| *l != header.as_bytes())
            .skip(1)
            .take_while(|l| !l.is_empty())
            .filter(|l| !l.starts_with(b"#"))
            .collect()
    }

    #[test]
    fn the_single_pass_readers_read_what_the_checking_code_reads() {
        let text = synthetic(6, 60, 3);
        let tracks = rows_of(&text, "PLAYER_TRACKS");
        let engagements = rows_of(&text, "ENGAGEMENTS");
        assert!(tracks.len() > 10 && engagements.len() > 10);
        let positions = |row: &[u8]| -> Vec<u8> {
            split_with_rest::<24>(row, b';').map_or_else(|_| Vec::new(), |f| f[22].to_vec())
        };
        // The writer's rows take the fast way.
        for row in &tracks {
            let fast = fast_track(row).expect("a written row is read in one pass");
            assert_eq!(Some(fast), checked_track(row).ok());
        }
        for row in &engagements {
            let field = positions(row);
            let fast = fast_positions(&field).expect("written points are read in one pass");
            assert_eq!(Some(fast), checked_positions(&field).ok());
        }
        // Altered rows: whenever the fast way accepts one, the checking code agrees.
        let mut rng = Lcg(7);
        let (mut fast_tracks, mut fast_points) = (0, 0);
        for _ in 0..80 {
            for row in &tracks {
                let row = rng.mutate(row);
                if let Some(fast) = fast_track(&row) {
                    fast_tracks += 1;
                    assert_eq!(Some(fast), checked_track(&row).ok(), "{}", lossy(&row));
                }
            }
            for row in &engagements {
                let field = rng.mutate(&positions(row));
                if let Some(fast) = fast_positions(&field) {
                    fast_points += 1;
                    assert_eq!(
                        Some(fast),
                        checked_positions(&field).ok(),
                        "{}",
                        lossy(&field)
                    );
                }
            }
        }
        // Many alterations keep a row valid: both ways were compared on those.
        assert!(
            fast_tracks > 100 && fast_points > 100,
            "{fast_tracks} {fast_points}"
        );
    }

    /// The rows parsed on two threads give the same round, or the same first error, as on one.
    #[test]
    fn two_threads_read_like_one() {
        let options = [
            ParseOptions::default(),
            ParseOptions {
                assume_complete: true,
            },
        ];
        let same = |text: &[u8]| {
            for o in options {
                let one = parse_rows_over(text, o, usize::MAX);
                assert_eq!(parse_rows_over(text, o, 0), one);
                assert_eq!(parse_rows_over(text, o, text.len() / 3), one);
            }
        };
        let mut texts = vec![synthetic(24, 120, 42), synthetic(4, 20, 1)];
        for entry in std::fs::read_dir("assets/samples").expect("samples") {
            texts.push(std::fs::read(entry.expect("entry").path()).expect("sample"));
        }
        for text in &texts {
            same(text);
            assert!(parse_rows_over(text, options[0], 0).is_ok());
        }
        // Errors anywhere, and in both halves at once: the first line wins.
        let mut rng = Lcg(11);
        let base = &texts[1];
        for _ in 0..300 {
            let mut text = base.clone();
            for _ in 0..1 + rng.below(2) {
                let at = rng.below(text.len());
                let piece: &[u8] = [&b";"[..], b"|", b",", b"x", b"\n", b"-", b"#"][rng.below(7)];
                text.splice(at..at + 1, piece.iter().copied());
            }
            same(&text);
        }
        let big = &texts[0];
        let lines: Vec<&[u8]> = big.split(|&b| b == b'\n').collect();
        for (a, b) in [(0.3, 0.9), (0.9, 0.95), (0.5, 0.51)] {
            let mut text = Vec::new();
            let bad: Vec<usize> = [a, b]
                .iter()
                .map(|f| (lines.len() as f64 * f) as usize)
                .collect();
            for (i, line) in lines.iter().enumerate() {
                text.extend_from_slice(line);
                if bad.contains(&i) {
                    text.extend_from_slice(b";bad");
                }
                text.push(b'\n');
            }
            text.pop();
            let e = parse_rows_over(&text, options[0], 0).expect_err("bad rows");
            assert_eq!(e.line, bad[0] + 1, "{e}");
            same(&text);
        }
    }
}
