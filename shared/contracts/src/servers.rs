//! The NATS servers a process may connect to: `--nats-url` takes one URL or a comma-separated
//! list (every node of a cluster), so a client starts with any node that answers and knows
//! where to reconnect. The list is checked here, so every binary refuses a malformed one
//! with the same message.

/// The URLs of a comma-separated list, each trimmed; an empty list or an empty entry (two
/// commas in a row, a trailing comma) is refused, naming the list.
pub fn server_urls(list: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> = list.split(',').map(|url| url.trim().to_owned()).collect();
    if urls.iter().any(String::is_empty) {
        return Err(format!(
            "{list:?} is not a NATS server list: give one URL or several separated by commas, none empty"
        ));
    }
    Ok(urls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_or_a_comma_separated_list_each_trimmed() {
        assert_eq!(
            server_urls("nats://127.0.0.1:4222"),
            Ok(vec!["nats://127.0.0.1:4222".to_owned()])
        );
        assert_eq!(
            server_urls("nats://a:4222, nats://b:4223 ,nats://c:4224"),
            Ok(vec![
                "nats://a:4222".to_owned(),
                "nats://b:4223".to_owned(),
                "nats://c:4224".to_owned()
            ])
        );
    }

    #[test]
    fn an_empty_list_or_entry_is_refused() {
        for list in ["", " ", "nats://a:4222,", "nats://a:4222,,nats://b:4222"] {
            let refused = server_urls(list).expect_err("an empty entry");
            assert!(refused.contains("not a NATS server list"), "{refused}");
        }
    }
}
