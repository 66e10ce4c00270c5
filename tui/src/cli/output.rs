//! How replies are shown: plain aligned tables for people, or the reply itself as JSON for
//! scripts (`--json`). Only this module writes a command's result to standard output.

use std::io::Write;

use bikestore_contracts::calendar::CalendarTime;
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::cli::exit::CliError;

/// Writes results in the format the user chose.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Print replies as JSON instead of tables.
    pub json: bool,
}

impl Printer {
    /// Prints `reply`: as JSON with `--json`, else as the view `render` builds from it.
    pub fn print<T: Serialize>(
        &self,
        reply: &T,
        render: impl FnOnce(&T) -> View,
    ) -> Result<(), CliError> {
        let text = if self.json {
            let mut text = serde_json::to_string_pretty(reply)
                .map_err(|error| CliError::Io(std::io::Error::other(error)))?;
            text.push('\n');
            text
        } else {
            render(reply).to_string()
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
        Ok(())
    }
}

/// What a command shows people: blocks of fields, tables and lines, in order.
#[derive(Debug, Default)]
pub struct View {
    blocks: Vec<Block>,
}

#[derive(Debug)]
enum Block {
    Fields(Vec<(String, String)>),
    Table(Table),
    Line(String),
}

impl View {
    /// An empty view.
    pub fn new() -> View {
        View::default()
    }

    /// Adds a block of `name: value` lines with aligned values.
    pub fn fields<N: Into<String>>(
        mut self,
        fields: impl IntoIterator<Item = (N, String)>,
    ) -> View {
        let fields = fields
            .into_iter()
            .map(|(name, value)| (name.into(), value))
            .collect();
        self.blocks.push(Block::Fields(fields));
        self
    }

    /// Adds a table.
    pub fn table(mut self, table: Table) -> View {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Adds one line of text.
    pub fn line(mut self, line: impl Into<String>) -> View {
        self.blocks.push(Block::Line(line.into()));
        self
    }
}

impl std::fmt::Display for View {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, block) in self.blocks.iter().enumerate() {
            // A blank line between a table and what follows keeps them apart on screen.
            if index > 0 && !matches!(block, Block::Line(_)) {
                writeln!(formatter)?;
            }
            match block {
                Block::Fields(fields) => {
                    let width = fields
                        .iter()
                        .map(|(name, _)| width_of(name))
                        .max()
                        .unwrap_or(0);
                    for (name, value) in fields {
                        writeln!(
                            formatter,
                            "{}  {value}",
                            pad(&format!("{name}:"), width + 1)
                        )?;
                    }
                }
                Block::Table(table) => table.fmt(formatter)?,
                Block::Line(line) => writeln!(formatter, "{line}")?,
            }
        }
        Ok(())
    }
}

/// A table of plain columns, aligned with spaces; the last column is never padded.
#[derive(Debug)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new<const N: usize>(header: [&str; N]) -> Table {
        Table {
            header: header.iter().map(|title| (*title).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; it should have one cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut widths: Vec<usize> = self.header.iter().map(|title| width_of(title)).collect();
        for row in &self.rows {
            for (column, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(column) {
                    *width = (*width).max(width_of(cell));
                }
            }
        }
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            let line: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(column, cell)| {
                    let width = widths.get(column).copied().unwrap_or(0);
                    if column == last {
                        one_line(cell)
                    } else {
                        pad(cell, width)
                    }
                })
                .collect();
            writeln!(formatter, "{}", line.join("  "))?;
        }
        Ok(())
    }
}

/// The width of a cell in terminal columns, as it prints: line breaks as spaces, a CJK character
/// or an emoji two columns, a combining mark none.
fn width_of(text: &str) -> usize {
    UnicodeWidthStr::width(one_line(text).as_str())
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r', '\t'], " ")
}

fn pad(text: &str, width: usize) -> String {
    let padding = width.saturating_sub(width_of(text));
    format!("{}{}", one_line(text), " ".repeat(padding))
}

/// The wire name of a unit enum (`processing`, `stuck`), as its serde form spells it.
pub fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// Parses a unit enum from its wire name (`stuck`, `processing`, `sales`), for clap.
pub fn parse_wire_name<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("{text:?} is not one of the accepted names"))
}

/// An optional value, or `-`.
pub fn or_dash<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |value| value.to_string())
}

/// Milliseconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn utc_time(ms: i64) -> String {
    CalendarTime::utc(ms).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_the_last_is_not_padded() {
        let mut table = Table::new(["ID", "NAME", "CITY"]);
        table.row(vec![
            "1".into(),
            "Santa Cruz Bikes".into(),
            "Santa Cruz".into(),
        ]);
        table.row(vec!["10".into(), "Baldwin".into(), "Baldwin".into()]);
        assert_eq!(
            table.to_string(),
            "ID  NAME              CITY\n\
             1   Santa Cruz Bikes  Santa Cruz\n\
             10  Baldwin           Baldwin\n"
        );
    }

    #[test]
    fn wide_characters_keep_the_columns_aligned() {
        let mut table = Table::new(["ID", "NAME", "CITY"]);
        table.row(vec!["1".into(), "自転車店".into(), "東京".into()]);
        table.row(vec!["2".into(), "Bike 🚲".into(), "Paris".into()]);
        table.row(vec!["3".into(), "Cafe\u{301}".into(), "Lyon".into()]);
        let text = table.to_string();
        assert_eq!(
            text,
            "ID  NAME      CITY\n\
             1   自転車店  東京\n\
             2   Bike 🚲   Paris\n\
             3   Cafe\u{301}      Lyon\n"
        );
        // Every line's last column starts at the same terminal column.
        let cities = ["CITY", "東京", "Paris", "Lyon"];
        for (line, city) in text.lines().zip(cities) {
            let before = line.strip_suffix(city).expect("the city ends the line");
            assert_eq!(width_of(before), 14, "{line:?}");
        }
    }

    #[test]
    fn fields_align_their_values() {
        let view = View::new().fields([("id", "7".to_owned()), ("status", "pending".to_owned())]);
        assert_eq!(view.to_string(), "id:      7\nstatus:  pending\n");
    }

    #[test]
    fn times_print_in_utc() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00:00");
        assert_eq!(utc_time(1_798_761_599_000), "2026-12-31 23:59:59");
    }

    #[test]
    fn enum_names_are_their_wire_names() {
        assert_eq!(
            name_of(&bikestore_contracts::orders::OrderStatus::Processing),
            "processing"
        );
        let stuck: Result<bikestore_contracts::sagas::SagaState, String> = parse_wire_name("stuck");
        assert_eq!(stuck, Ok(bikestore_contracts::sagas::SagaState::Stuck));
        let wrong: Result<bikestore_contracts::sagas::SagaState, String> =
            parse_wire_name("Stuck!");
        assert!(wrong.is_err());
    }
}
