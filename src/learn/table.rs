//! Feature tables: the CSV files written by `radiomics extract` / `batch`, read for training and prediction.
//!
//! ```text
//! case_id,patient_id,label,<feature 1>,<feature 2>,...
//! C000,P000,1,17.99,10.38,...
//! ```
//! The identifier, patient and label columns are found by name ([`TableOptions`]); every other column is a
//! numeric feature, except columns whose names start with `diagnostics_` (PyRadiomics' diagnostic output),
//! which are skipped. Fields may be double-quoted (`""` inside quotes is a quote).
//!
//! What happens to bad input, explicitly:
//!
//! | problem                                   | outcome                                                      |
//! |-------------------------------------------|--------------------------------------------------------------|
//! | missing id / patient / label column       | error (`Format`) naming the column                           |
//! | two columns with one name                 | error naming the column                                      |
//! | a row with too few or too many fields     | error naming the line                                        |
//! | duplicate case id                         | error naming the id and both lines                           |
//! | label other than 0 or 1                   | error naming the line, the case and the value                |
//! | empty, `nan` or `inf` feature value       | the row is dropped, with a warning naming case and column    |
//! | feature value that is not a number        | error naming the line and the column                         |
//! | constant feature column (training only)   | dropped by [`Table::drop_constant_columns`], with a warning   |
//! | no row left, or only one class to train   | error                                                        |
//!
//! A missing patient column is allowed when [`TableOptions::patient_column`] is empty: each case is then its
//! own patient. Prediction tables need no label column ([`TableOptions::require_label`] = false).

use std::path::Path;

use ndarray::Array2;

use crate::error::{Error, Result};

/// Which columns hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOptions {
    /// The case identifier column (default `case_id`); values must be unique.
    pub case_column: String,
    /// The patient identifier column (default `patient_id`); empty for "one patient per case".
    pub patient_column: String,
    /// The label column (default `label`), values 0 or 1.
    pub label_column: String,
    /// Whether the label column must exist (training, evaluation) or may be absent (prediction).
    pub require_label: bool,
    /// The split column (default `split`, as `radiomics batch` writes it): text such as `train`/`test`,
    /// kept per row and never read as a feature. Optional in the file.
    pub split_column: String,
}

impl Default for TableOptions {
    fn default() -> TableOptions {
        TableOptions {
            case_column: "case_id".into(),
            patient_column: "patient_id".into(),
            label_column: "label".into(),
            require_label: true,
            split_column: "split".into(),
        }
    }
}

/// A feature table: one row per case, numeric features in columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Case identifiers, one per row, unique.
    pub case_ids: Vec<String>,
    /// Patient identifiers, one per row (several cases may share one).
    pub patient_ids: Vec<String>,
    /// Labels 0/1, one per row; `None` when the table has no label column.
    pub labels: Option<Vec<u8>>,
    /// The split of each row (`train`, `test`, ...) when the table has a split column.
    pub splits: Option<Vec<String>>,
    /// Feature names, in column order.
    pub names: Vec<String>,
    /// Feature values, rows × features, all finite.
    pub x: Array2<f64>,
    /// What was dropped and why, for a person to read.
    pub warnings: Vec<String>,
}

/// Splits one CSV line into fields, honouring double quotes.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// A field parsed as a feature value: `Ok(None)` for empty/NaN/infinite, an error for other text.
fn parse_value(field: &str) -> std::result::Result<Option<f64>, ()> {
    let t = field.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        Ok(_) => Ok(None),
        Err(_) => Err(()),
    }
}

impl Table {
    /// Reads a table from a CSV file.
    pub fn read(path: &Path, options: &TableOptions) -> Result<Table> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "read", &e))?;
        Table::parse(&text, options).map_err(|e| e.context(path.display()))
    }

    /// Parses a table from CSV text (see the module documentation for what is rejected or dropped).
    pub fn parse(text: &str, options: &TableOptions) -> Result<Table> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header_line) = lines
            .next()
            .ok_or_else(|| Error::format("the table is empty (no header line)"))?;
        let header: Vec<String> = split_csv_line(header_line.trim_start_matches('\u{feff}'))
            .into_iter()
            .map(|h| h.trim().to_string())
            .collect();
        for (i, h) in header.iter().enumerate() {
            if header[..i].contains(h) {
                return Err(Error::format(format!("column '{h}' appears twice")));
            }
        }
        let find = |name: &str| header.iter().position(|h| h == name);
        let case_col = find(&options.case_column)
            .ok_or_else(|| Error::format(format!("no case id column '{}'", options.case_column)))?;
        let patient_col = if options.patient_column.is_empty() {
            None
        } else {
            Some(find(&options.patient_column).ok_or_else(|| {
                Error::format(format!("no patient id column '{}'", options.patient_column))
            })?)
        };
        let label_col = find(&options.label_column);
        let split_col = find(&options.split_column);
        if label_col.is_none() && options.require_label {
            return Err(Error::format(format!(
                "no label column '{}'",
                options.label_column
            )));
        }
        let feature_cols: Vec<usize> = (0..header.len())
            .filter(|&c| {
                c != case_col
                    && Some(c) != patient_col
                    && Some(c) != label_col
                    && Some(c) != split_col
                    && !header[c].starts_with("diagnostics_")
            })
            .collect();
        if feature_cols.is_empty() {
            return Err(Error::format("the table has no feature columns"));
        }
        let names: Vec<String> = feature_cols.iter().map(|&c| header[c].clone()).collect();

        let mut case_ids = Vec::new();
        let mut patient_ids = Vec::new();
        let mut labels = Vec::new();
        let mut splits = Vec::new();
        let mut values = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (line_no, line) in lines {
            let fields = split_csv_line(line);
            if fields.len() != header.len() {
                return Err(Error::format(format!(
                    "line {line_no}: {} fields, the header has {}",
                    fields.len(),
                    header.len()
                )));
            }
            let case = fields[case_col].trim().to_string();
            if case.is_empty() {
                return Err(Error::format(format!("line {line_no}: empty case id")));
            }
            if let Some(first) = seen.insert(case.clone(), line_no) {
                return Err(Error::format(format!(
                    "duplicate case id '{case}' on lines {first} and {line_no}"
                )));
            }
            let label = match label_col {
                Some(c) => match fields[c].trim() {
                    "0" | "0.0" => Some(0u8),
                    "1" | "1.0" => Some(1u8),
                    other => {
                        return Err(Error::format(format!(
                            "line {line_no} (case '{case}'): label '{other}' in column '{}' is not 0 or 1",
                            header[c]
                        )))
                    }
                },
                None => None,
            };
            let mut row = Vec::with_capacity(feature_cols.len());
            let mut bad = None;
            for &c in &feature_cols {
                match parse_value(&fields[c]) {
                    Ok(Some(v)) => row.push(v),
                    Ok(None) => {
                        bad.get_or_insert(c);
                    }
                    Err(()) => {
                        return Err(Error::format(format!(
                        "line {line_no} (case '{case}'): value '{}' in column '{}' is not a number",
                        fields[c].trim(),
                        header[c]
                    )))
                    }
                }
            }
            if let Some(c) = bad {
                warnings.push(format!(
                    "dropped case '{case}' (line {line_no}): value '{}' in column '{}' is missing or not finite",
                    fields[c].trim(),
                    header[c]
                ));
                continue;
            }
            let patient = match patient_col {
                Some(c) => fields[c].trim().to_string(),
                None => case.clone(),
            };
            if patient.is_empty() {
                return Err(Error::format(format!(
                    "line {line_no} (case '{case}'): empty patient id"
                )));
            }
            case_ids.push(case);
            patient_ids.push(patient);
            if let Some(c) = split_col {
                splits.push(fields[c].trim().to_string());
            }
            if let Some(l) = label {
                labels.push(l);
            }
            values.extend(row);
        }
        if case_ids.is_empty() {
            return Err(Error::format("the table has no usable rows"));
        }
        let x = Array2::from_shape_vec((case_ids.len(), names.len()), values)
            .map_err(|e| Error::internal(e.to_string()))?;
        Ok(Table {
            case_ids,
            patient_ids,
            labels: label_col.map(|_| labels),
            splits: split_col.map(|_| splits),
            names,
            x,
            warnings,
        })
    }

    /// Number of rows (cases).
    pub fn len(&self) -> usize {
        self.case_ids.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.case_ids.is_empty()
    }

    /// The labels, or an error naming the label column when the table has none.
    pub fn labels(&self) -> Result<&[u8]> {
        self.labels
            .as_deref()
            .ok_or_else(|| Error::format("the table has no label column"))
    }

    /// Drops feature columns whose values are all equal (they cannot inform a model, and z-scoring divides by
    /// their zero spread); one warning per column, also kept in [`Table::warnings`].
    pub fn drop_constant_columns(&mut self) {
        let keep: Vec<usize> = (0..self.names.len())
            .filter(|&j| {
                let col = self.x.column(j);
                let first = col[0];
                let constant = col.iter().all(|&v| v == first);
                if constant {
                    self.warnings.push(format!(
                        "dropped constant column '{}' (every value is {first})",
                        self.names[j]
                    ));
                }
                !constant
            })
            .collect();
        if keep.len() == self.names.len() {
            return;
        }
        self.x = self.x.select(ndarray::Axis(1), &keep);
        self.names = keep.iter().map(|&j| self.names[j].clone()).collect();
    }

    /// The rows `rows`, in that order, as a new table (warnings are kept).
    pub fn subset(&self, rows: &[usize]) -> Table {
        Table {
            case_ids: rows.iter().map(|&i| self.case_ids[i].clone()).collect(),
            patient_ids: rows.iter().map(|&i| self.patient_ids[i].clone()).collect(),
            labels: self
                .labels
                .as_ref()
                .map(|l| rows.iter().map(|&i| l[i]).collect()),
            splits: self
                .splits
                .as_ref()
                .map(|s| rows.iter().map(|&i| s[i].clone()).collect()),
            names: self.names.clone(),
            x: self.x.select(ndarray::Axis(0), rows),
            warnings: self.warnings.clone(),
        }
    }

    /// The rows whose split is `split` (none when the table has no split column).
    pub fn rows_in_split(&self, split: &str) -> Vec<usize> {
        self.splits
            .as_ref()
            .map(|s| (0..s.len()).filter(|&i| s[i] == split).collect())
            .unwrap_or_default()
    }

    /// Checks that the table can train a model: labels present, both classes, no feature column left empty.
    pub fn check_trainable(&self) -> Result<()> {
        let labels = self.labels()?;
        let positives = labels.iter().filter(|&&l| l == 1).count();
        if positives == 0 || positives == labels.len() {
            return Err(Error::format(format!(
                "training needs both labels; all {} rows have label {}",
                labels.len(),
                labels[0]
            )));
        }
        if self.names.is_empty() {
            return Err(Error::format(
                "no feature column is left (all were constant)",
            ));
        }
        // Standardisation squares deviations: beyond this magnitude they overflow to infinity, and every
        // classifier downstream would see NaN.
        const LARGEST: f64 = 1e150;
        for (j, col) in self.x.columns().into_iter().enumerate() {
            if let Some((i, v)) = col.iter().enumerate().find(|(_, v)| v.abs() > LARGEST) {
                return Err(Error::format(format!(
                    "column '{}' holds {v:e} (case '{}'): values beyond ±{LARGEST:e} cannot be standardised without overflow; rescale the column",
                    self.names[j], self.case_ids[i]
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Table> {
        Table::parse(text, &TableOptions::default())
    }

    #[test]
    fn reads_ids_labels_and_features() {
        let t = parse("case_id,patient_id,label,a,b\nc1,p1,0,1.5,2\n\"c,2\",p1,1,2.5,3\n").unwrap();
        assert_eq!(t.case_ids, vec!["c1", "c,2"]);
        assert_eq!(t.patient_ids, vec!["p1", "p1"]);
        assert_eq!(t.labels.as_deref(), Some(&[0u8, 1][..]));
        assert_eq!(t.names, vec!["a", "b"]);
        assert_eq!(t.x[[1, 0]], 2.5);
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn drops_rows_with_nan_or_inf_with_a_warning() {
        let t = parse("case_id,patient_id,label,a\nc1,p1,0,1\nc2,p2,1,nan\nc3,p3,1,inf\nc4,p4,1,\nc5,p5,0,2\n")
            .unwrap();
        assert_eq!(t.case_ids, vec!["c1", "c5"]);
        assert_eq!(t.warnings.len(), 3);
        assert!(t.warnings[0].contains("'c2'") && t.warnings[0].contains("column 'a'"));
        assert!(t.warnings[1].contains("'c3'") && t.warnings[1].contains("'inf'"));
    }

    #[test]
    fn drops_constant_columns_with_a_warning() {
        let mut t =
            parse("case_id,patient_id,label,a,k,b\nc1,p1,0,1,5,3\nc2,p2,1,2,5,4\n").unwrap();
        t.drop_constant_columns();
        assert_eq!(t.names, vec!["a", "b"]);
        assert_eq!(t.x.row(1).to_vec(), vec![2.0, 4.0]);
        assert_eq!(
            t.warnings,
            vec!["dropped constant column 'k' (every value is 5)"]
        );
    }

    #[test]
    fn duplicate_case_id_is_an_error_naming_it() {
        let e = parse("case_id,patient_id,label,a\nc1,p1,0,1\nc1,p2,1,2\n").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Format);
        assert_eq!(e.message(), "duplicate case id 'c1' on lines 2 and 3");
    }

    #[test]
    fn bad_label_is_an_error_naming_row_and_value() {
        let e = parse("case_id,patient_id,label,a\nc1,p1,0,1\nc2,p2,2,2\n").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Format);
        assert_eq!(
            e.message(),
            "line 3 (case 'c2'): label '2' in column 'label' is not 0 or 1"
        );
    }

    #[test]
    fn text_in_a_feature_column_is_an_error_naming_it() {
        let e = parse("case_id,patient_id,label,a,b\nc1,p1,0,1,x1\n").unwrap_err();
        assert_eq!(
            e.message(),
            "line 2 (case 'c1'): value 'x1' in column 'b' is not a number"
        );
    }

    #[test]
    fn structural_problems_are_errors_naming_what() {
        let e = parse("case_id,label,a\nc1,0,1\n").unwrap_err();
        assert_eq!(e.message(), "no patient id column 'patient_id'");
        let e = parse("case_id,patient_id,a\nc1,p,1\n").unwrap_err();
        assert_eq!(e.message(), "no label column 'label'");
        let e = parse("case_id,patient_id,label,a,a\nc1,p,0,1,2\n").unwrap_err();
        assert_eq!(e.message(), "column 'a' appears twice");
        let e = parse("case_id,patient_id,label,a\nc1,p,0\n").unwrap_err();
        assert_eq!(e.message(), "line 2: 3 fields, the header has 4");
        let e = parse("case_id,patient_id,label,a\nc1,p,0,nan\n").unwrap_err();
        assert_eq!(e.message(), "the table has no usable rows");
    }

    #[test]
    fn single_class_cannot_train() {
        let t = parse("case_id,patient_id,label,a\nc1,p,1,1\nc2,q,1,2\n").unwrap();
        assert_eq!(
            t.check_trainable().unwrap_err().message(),
            "training needs both labels; all 2 rows have label 1"
        );
    }

    #[test]
    fn split_column_is_kept_and_not_a_feature() {
        let t = Table::parse(
            "case_id,patient_id,label,split,f\na,p1,0,train,1\nb,p2,1,test,2\nc,p3,1,train,3\n",
            &TableOptions::default(),
        )
        .unwrap();
        assert_eq!(t.names, vec!["f"]);
        assert_eq!(t.rows_in_split("train"), vec![0, 2]);
        let test = t.subset(&t.rows_in_split("test"));
        assert_eq!(test.case_ids, vec!["b"]);
        assert_eq!(test.splits, Some(vec!["test".to_string()]));
    }

    #[test]
    fn configurable_columns_and_no_label_for_prediction() {
        let opts = TableOptions {
            case_column: "id".into(),
            patient_column: String::new(),
            label_column: "y".into(),
            require_label: false,
            split_column: "split".into(),
        };
        let t = Table::parse("id,f,diagnostics_Versions\na,1,v3\nb,2,v3\n", &opts).unwrap();
        assert_eq!(t.patient_ids, vec!["a", "b"]);
        assert!(t.labels.is_none());
        assert_eq!(t.names, vec!["f"]);
    }
}
