//! The importer on real exports: the Petstore collection as Postman exports it, and a collection
//! written in Postman 10's export shape that uses every feature the importer handles or refuses.

use super::*;
use crate::suite::{parse_suite, StatusCheck};

const PETSTORE: &str =
    include_str!("../../tests/fixtures/import/swagger-petstore.postman_collection.json");
const TEAM: &str = include_str!("../../tests/fixtures/import/team-api.postman_collection.json");

fn step<'a>(imported: &'a Imported, name: &str) -> &'a crate::suite::StepDef {
    imported
        .suite
        .steps
        .iter()
        .find(|s| s.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no step {name:?}"))
}

fn noted(imported: &Imported, part: &str) -> bool {
    imported.notes.iter().any(|n| n.contains(part))
}

#[test]
fn the_petstore_export_becomes_a_valid_suite_with_every_request() {
    let imported = import(PETSTORE).unwrap();
    assert_eq!(imported.format, "Postman Collection v2.1");
    assert_eq!(imported.suite.name, "Swagger Petstore");
    assert_eq!(imported.suite.steps.len(), 20);
    let get = step(&imported, "pet / Find pet by ID");
    assert_eq!(get.method, "GET");
    assert_eq!(get.url, "https://petstore.swagger.io/v2/pet/${petId}");
    // Query variables it never defines are added empty and named.
    assert!(imported.suite.variables.contains_key("status"));
    assert!(noted(&imported, "used but not defined"));
    // The YAML it produces is a suite the validator accepts, unchanged.
    let yaml = to_yaml(&imported.suite);
    assert_eq!(parse_suite(&yaml).unwrap(), imported.suite);
}

#[test]
fn folders_auth_variables_and_bodies_are_carried_over() {
    let imported = import(TEAM).unwrap();
    let suite = &imported.suite;
    assert_eq!(suite.variables["baseUrl"], "https://api.example.test/v1");
    assert_eq!(suite.variables["page_size"], "20");
    assert_eq!(suite.variables["userId"], "42");

    let list = step(&imported, "Users / List users");
    assert_eq!(list.url, "${baseUrl}/users?limit=${page_size}");
    assert_eq!(list.headers["Authorization"], "Bearer ${token}");
    assert_eq!(list.headers["Accept"], "application/json");
    assert!(
        !list.headers.contains_key("X-Debug"),
        "disabled headers stay out"
    );
    assert_eq!(list.checks.status, Some(StatusCheck::Exact(200)));

    let create = step(&imported, "Users / Create user");
    let json = create.body.as_ref().unwrap().json.as_ref().unwrap();
    assert_eq!(json["name"], "${userName}");
    assert_eq!(json["price"], "$$5", "a literal $ is escaped");
    assert_eq!(create.checks.status, Some(StatusCheck::Exact(201)));

    // Not JSON until the variables are filled in: sent as text, with its JSON content type.
    let update = step(&imported, "Users / Update user");
    assert_eq!(update.url, "${baseUrl}/users/${userId}");
    assert_eq!(
        update.body.as_ref().unwrap().text.as_deref(),
        Some("{ \"id\": ${userId}, \"request\": \"{{$$guid}}\" }")
    );
    assert_eq!(update.headers["Content-Type"], "application/json");

    let form = step(&imported, "Legacy / Login form");
    assert_eq!(
        form.body.as_ref().unwrap().text.as_deref(),
        Some("user=${userName}&note=a%26b+c")
    );
    assert_eq!(
        form.headers["Content-Type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(form.headers["Authorization"], "Basic YWRtaW46cGEgc3M=");
    assert!(!step(&imported, "Legacy / Public ping")
        .headers
        .contains_key("Authorization"));

    let search = step(&imported, "Search (GraphQL)");
    assert_eq!(search.url, "${baseUrl}/graphql?api_key=${apiKey}");
    let body = search.body.as_ref().unwrap().json.as_ref().unwrap();
    assert_eq!(body["variables"]["q"], "${term}");
    assert!(body["query"].as_str().unwrap().contains("$$q"));

    assert!(
        parse_suite(&to_yaml(suite)).is_ok(),
        "{:?}",
        parse_suite(&to_yaml(suite))
    );
}

#[test]
fn what_a_suite_cannot_express_is_listed_never_dropped_silently() {
    let imported = import(TEAM).unwrap();
    for part in [
        "the collection: pre-request script not imported (1 line)",
        "request \"Users / List users\": test script not imported (3 lines)",
        "request \"Legacy / Upload avatar\": multipart form-data body not imported",
        "request \"OAuth only\": oauth2 auth not imported",
        "request \"Copy thing\": method COPY not imported",
        "dynamic variable {{$guid}} not imported",
        "variable `page size` renamed `page_size`",
        "userName",
    ] {
        assert!(
            noted(&imported, part),
            "no note with {part:?} in {:#?}",
            imported.notes
        );
    }
    assert!(imported
        .suite
        .steps
        .iter()
        .all(|s| s.name.as_deref() != Some("Copy thing")));
}

#[test]
fn other_documents_get_a_clear_refusal() {
    assert!(matches!(import("not json"), Err(ImportError::NotJson(_))));
    let openapi = r#"{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": {}}"#;
    assert!(import(openapi).unwrap_err().to_string().contains("OpenAPI"));
    assert!(matches!(
        import(r#"{"a": 1}"#),
        Err(ImportError::Unsupported(_))
    ));
    let broken = r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": 7}"#;
    assert!(matches!(
        import(broken),
        Err(ImportError::InvalidCollection(_))
    ));
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_IMPORT_BYTES));
    assert_eq!(import(&huge).unwrap_err(), ImportError::TooLarge);
}
