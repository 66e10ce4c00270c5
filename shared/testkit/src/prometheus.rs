//! Reading Prometheus text as scraped or rendered: every sample by its series, and the sum of
//! the series of one name whose labels match.

use std::collections::BTreeMap;

/// Every sample of `text`, keyed by its series (`name{labels}`, exactly as served).
pub fn prometheus_samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The sum of the series `name` whose labels include every one of `labels` (0 when there is
/// none yet: a counter not yet incremented is not served).
pub fn prometheus_value(
    samples: &BTreeMap<String, f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    samples
        .iter()
        .filter(|(series, _)| {
            series.strip_prefix(name).is_some_and(|rest| {
                rest.starts_with('{')
                    && labels
                        .iter()
                        .all(|(key, wanted)| rest.contains(&format!("{key}=\"{wanted}\"")))
            })
        })
        .map(|(_, value)| value)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# TYPE bikestore_requests_total counter\n\
        bikestore_requests_total{service=\"orders\",outcome=\"ok\"} 3\n\
        bikestore_requests_total{service=\"orders\",outcome=\"invalid\"} 2\n\
        bikestore_requests_total_other{service=\"orders\"} 7\n\
        bikestore_requests_total{service=\"inventory\",outcome=\"ok\"} 5\n";

    #[test]
    fn a_value_sums_the_series_of_its_name_whose_labels_match() {
        let samples = prometheus_samples(TEXT);
        assert_eq!(samples.len(), 4);
        let orders = [("service", "orders")];
        assert_eq!(
            prometheus_value(&samples, "bikestore_requests_total", &orders),
            5.0
        );
        let ok = [("outcome", "ok")];
        assert_eq!(
            prometheus_value(&samples, "bikestore_requests_total", &ok),
            8.0
        );
        assert_eq!(
            prometheus_value(&samples, "bikestore_missing_total", &[]),
            0.0
        );
    }
}
