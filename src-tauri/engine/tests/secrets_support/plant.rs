//! A tree with planted fake secrets, one of every kind the scanner knows,
//! freshly random each run (so no value can be found by accident elsewhere).
//! Shared by the engine tests, the CLI tests and the benchmark (`#[path]`).
#![allow(dead_code)]

use std::path::Path;

/// One planted value: which rule should find it, where, and the value itself.
#[derive(Debug, Clone)]
pub struct Planted {
    pub rule: &'static str,
    pub file: &'static str,
    pub value: String,
}

struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(7);
        Rng(t ^ ((std::process::id() as u64) << 32) ^ 0x9E37_79B9_7F4A_7C15)
    }
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick(&mut self, chars: &str, n: usize) -> String {
        let cs = chars.as_bytes();
        (0..n)
            .map(|_| cs[(self.next() % cs.len() as u64) as usize] as char)
            .collect()
    }
}

const AN: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UP27: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn b64url(bytes: &[u8]) -> String {
    const T: &[u8] = URL.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..chunk.len() + 1 {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Twenty kinds, each a fresh value, and the files that hold them.
pub fn values() -> Vec<Planted> {
    let mut r = Rng::new();
    let jwt = format!(
        "{}.{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(format!(r#"{{"sub":"{}","iat":1700000000}}"#, r.pick(AN, 12)).as_bytes()),
        r.pick(URL, 43)
    );
    let key_body: Vec<String> = (0..8).map(|_| r.pick(B64, 64)).collect();
    let private_key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
        key_body.join("\n")
    );
    vec![
        Planted {
            rule: "private-key",
            file: "deploy/deploy_key",
            value: private_key,
        },
        Planted {
            rule: "aws-access-key-id",
            file: "config/aws.ini",
            value: format!("AKIA{}", r.pick(UP27, 16)),
        },
        Planted {
            rule: "aws-secret-access-key",
            file: "config/aws.ini",
            value: r.pick(B64, 40),
        },
        Planted {
            rule: "github-pat",
            file: "src/github.ts",
            value: format!("ghp_{}", r.pick(AN, 36)),
        },
        Planted {
            rule: "github-fine-grained-pat",
            file: "src/github.ts",
            value: format!("github_pat_{}_{}", r.pick(AN, 22), r.pick(AN, 59)),
        },
        Planted {
            rule: "gitlab-pat",
            file: "ci/gitlab.yml",
            value: format!("glpat-{}", r.pick(URL, 20)),
        },
        Planted {
            rule: "slack-token",
            file: "integrations/slack.json",
            value: format!(
                "xoxb-{}-{}-{}",
                r.pick("0123456789", 12),
                r.pick("0123456789", 13),
                r.pick(AN, 24)
            ),
        },
        Planted {
            rule: "stripe-key",
            file: ".env",
            value: format!("sk_live_{}", r.pick(AN, 32)),
        },
        Planted {
            rule: "openai-key",
            file: ".env.local",
            value: format!("sk-proj-{}T3BlbkFJ{}", r.pick(URL, 74), r.pick(URL, 74)),
        },
        Planted {
            rule: "anthropic-key",
            file: ".env.local",
            value: format!("sk-ant-api03-{}AA", r.pick(URL, 93)),
        },
        Planted {
            rule: "google-api-key",
            file: "web/firebase.js",
            value: format!("AIza{}", r.pick(URL, 35)),
        },
        Planted {
            rule: "npm-token",
            file: ".npmrc",
            value: format!("npm_{}", r.pick(AN, 36)),
        },
        Planted {
            rule: "huggingface-token",
            file: "scripts/hf.py",
            value: format!("hf_{}", r.pick(LETTERS, 34)),
        },
        Planted {
            rule: "sendgrid-key",
            file: "app/mail.py",
            value: format!("SG.{}.{}", r.pick(URL, 22), r.pick(URL, 43)),
        },
        Planted {
            rule: "twilio-api-key",
            file: "app/mail.py",
            value: format!("SK{}", r.pick(HEX, 32)),
        },
        Planted {
            rule: "azure-connection-string",
            file: "appsettings.json",
            value: format!("{}==", r.pick(B64, 86)),
        },
        Planted {
            rule: "jwt",
            file: "tests/fixture.http",
            value: jwt,
        },
        Planted {
            rule: "database-url",
            file: "docker-compose.yml",
            value: r.pick(AN, 18),
        },
        Planted {
            rule: "generic-secret",
            file: "app/settings.py",
            value: r.pick(AN, 32),
        },
        Planted {
            rule: "dotenv-secret",
            file: ".env",
            value: format!("hunter2-{}", r.pick(AN, 8)),
        },
    ]
}

fn get<'a>(p: &'a [Planted], rule: &str) -> &'a str {
    &p.iter()
        .find(|x| x.rule == rule)
        .expect("planted rule")
        .value
}

/// The files' contents, with the values in their usual surroundings.
pub fn files(p: &[Planted]) -> Vec<(&'static str, String)> {
    vec![
        (".gitignore", ".env\n.env.local\ntarget/\n".to_string()),
        ("README.md", "# Shop\n\nRun `npm test`. Keys look like sk-... and ghp_...\n".to_string()),
        ("deploy/deploy_key", format!("{}\n", get(p, "private-key"))),
        ("config/aws.ini", format!("[default]\naws_access_key_id = {}\naws_secret_access_key = {}\nregion = eu-west-1\n", get(p, "aws-access-key-id"), get(p, "aws-secret-access-key"))),
        ("src/github.ts", format!("export const GITHUB_TOKEN = \"{}\";\nexport const GH_FINE = \"{}\";\n", get(p, "github-pat"), get(p, "github-fine-grained-pat"))),
        ("ci/gitlab.yml", format!("variables:\n  GITLAB_TOKEN: {}\n", get(p, "gitlab-pat"))),
        ("integrations/slack.json", format!("{{\n  \"channel\": \"#ops\",\n  \"token\": \"{}\"\n}}\n", get(p, "slack-token"))),
        (".env", format!("PORT=3000\nSTRIPE_SECRET_KEY={}\nDB_PASSWORD={}\n", get(p, "stripe-key"), get(p, "dotenv-secret"))),
        (".env.local", format!("OPENAI_API_KEY={}\nANTHROPIC_API_KEY={}\n", get(p, "openai-key"), get(p, "anthropic-key"))),
        ("web/firebase.js", format!("const firebaseConfig = {{\n  apiKey: \"{}\",\n  projectId: \"shop\",\n}};\n", get(p, "google-api-key"))),
        (".npmrc", format!("//registry.npmjs.org/:_authToken={}\n", get(p, "npm-token"))),
        ("scripts/hf.py", format!("from huggingface_hub import login\nlogin(token=\"{}\")\n", get(p, "huggingface-token"))),
        ("app/mail.py", format!("SENDGRID_API_KEY = \"{}\"\nTWILIO_API_KEY = \"{}\"\n", get(p, "sendgrid-key"), get(p, "twilio-api-key"))),
        ("appsettings.json", format!("{{ \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={};EndpointSuffix=core.windows.net\" }}\n", get(p, "azure-connection-string"))),
        ("tests/fixture.http", format!("GET /api/me\nAuthorization: Bearer {}\n", get(p, "jwt"))),
        ("docker-compose.yml", format!("services:\n  app:\n    environment:\n      DATABASE_URL: postgres://shop:{}@db:5432/shop\n", get(p, "database-url"))),
        ("app/settings.py", format!("DEBUG = False\nCLIENT_SECRET = \"{}\"\n", get(p, "generic-secret"))),
        ("src/lib.rs", "pub fn token_len(token: &str) -> usize { token.len() }\n".to_string()),
    ]
}

/// Write the planted tree under `root`; returns what was planted.
pub fn plant(root: &Path) -> Vec<Planted> {
    let p = values();
    for (rel, text) in files(&p) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write planted file");
    }
    p
}
