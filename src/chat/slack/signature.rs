//! `X-Slack-Signature` for HTTP mode: `v0=` HMAC-SHA256 of
//! `v0:{X-Slack-Request-Timestamp}:{raw body}` with the signing secret,
//! compared in constant time; a timestamp more than [`MAX_AGE`] from now is
//! refused, so a captured request cannot be replayed later.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from now.
pub const MAX_AGE: chrono::Duration = chrono::Duration::minutes(5);

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A header is missing or does not read.
    #[error("missing or malformed {0}")]
    Malformed(&'static str),
    /// Older (or newer) than [`MAX_AGE`].
    #[error("timestamp {0}s away from now")]
    Stale(i64),
    /// The signature does not match.
    #[error("signature does not match")]
    Mismatch,
}

/// The `v0=…` signature of `body` sent at `timestamp` (what Slack sends; tests sign with it).
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("v0:{timestamp}:").as_bytes());
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a delivery's headers against its raw body at `now`.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let ts_text = timestamp.ok_or(Refused::Malformed("X-Slack-Request-Timestamp"))?;
    let ts: i64 = ts_text
        .trim()
        .parse()
        .map_err(|_| Refused::Malformed("X-Slack-Request-Timestamp"))?;
    let hex_sig = signature
        .and_then(|s| s.trim().strip_prefix("v0="))
        .ok_or(Refused::Malformed("X-Slack-Signature"))?;
    let given = hex::decode(hex_sig).map_err(|_| Refused::Malformed("X-Slack-Signature"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("v0:{}:", ts_text.trim()).as_bytes());
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&given).map_err(|_| Refused::Mismatch)?;
    let off = now.timestamp() - ts;
    if off.abs() > MAX_AGE.num_seconds() {
        return Err(Refused::Stale(off));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn slacks_documented_example_verifies() {
        // From Slack's "Verifying requests from Slack" guide.
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let at = DateTime::from_timestamp(1531420618, 0).unwrap();
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        assert_eq!(sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body), sig);
        assert_eq!(
            verify(
                "8f742231b10e8888abcd99yyyzzz85a5",
                Some("1531420618"),
                Some(sig),
                body,
                at
            ),
            Ok(())
        );
    }

    #[test]
    fn a_changed_body_secret_or_signature_is_refused() {
        let ts = now().timestamp().to_string();
        let sig = sign("secret", &ts, b"{}");
        assert_eq!(verify("secret", Some(&ts), Some(&sig), b"{}", now()), Ok(()));
        assert_eq!(
            verify("secret", Some(&ts), Some(&sig), b"{ }", now()),
            Err(Refused::Mismatch)
        );
        assert_eq!(
            verify("other", Some(&ts), Some(&sig), b"{}", now()),
            Err(Refused::Mismatch)
        );
        let flipped = format!("{}0", &sig[..sig.len() - 1]);
        assert_ne!(flipped, sig);
        assert_eq!(
            verify("secret", Some(&ts), Some(&flipped), b"{}", now()),
            Err(Refused::Mismatch)
        );
        assert!(matches!(
            verify("secret", None, Some(&sig), b"{}", now()),
            Err(Refused::Malformed(_))
        ));
        assert!(matches!(
            verify("secret", Some(&ts), Some("v1=00"), b"{}", now()),
            Err(Refused::Malformed(_))
        ));
    }

    #[test]
    fn more_than_five_minutes_off_is_refused_even_when_signed() {
        for (off, ok) in [(300, true), (301, false), (-301, false), (-300, true)] {
            let ts = (now().timestamp() - off).to_string();
            let sig = sign("secret", &ts, b"x");
            let r = verify("secret", Some(&ts), Some(&sig), b"x", now());
            assert_eq!(r.is_ok(), ok, "{off}: {r:?}");
        }
    }
}
