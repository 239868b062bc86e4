//! The importer on real documents: the Petstore and Museum collections as Postman exports them, a
//! collection that uses every feature the importer handles or refuses, and the Petstore (OpenAPI
//! 3.0, YAML) and Museum (OpenAPI 3.1) specifications.

use super::*;
use crate::suite::{parse_suite, StatusCheck};

const PETSTORE: &str =
    include_str!("../../tests/fixtures/import/swagger-petstore.postman_collection.json");
const TEAM: &str = include_str!("../../tests/fixtures/import/team-api.postman_collection.json");
const MUSEUM_POSTMAN: &str =
    include_str!("../../tests/fixtures/import/museum.postman_collection.json");
const PETSTORE_30: &str =
    include_str!("../../tests/fixtures/import/petstore-expanded.openapi-3.0.yaml");
const MUSEUM_31: &str = include_str!("../../tests/fixtures/import/museum.openapi-3.1.yaml");

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
fn a_real_postman_export_imports_whole() {
    let imported = import(MUSEUM_POSTMAN).unwrap();
    assert_eq!(imported.suite.name, "Redocly Museum API");
    assert_eq!(imported.suite.steps.len(), 8);
    assert!(noted(
        &imported,
        "basic auth built from variables not imported"
    ));
    assert!(parse_suite(&to_yaml(&imported.suite)).is_ok());
}

#[test]
fn an_openapi_30_yaml_document_becomes_one_step_per_operation() {
    let imported = import(PETSTORE_30).unwrap();
    assert_eq!(imported.format, "OpenAPI 3.0");
    assert_eq!(imported.suite.name, "Swagger Petstore");
    let names: Vec<&str> = imported
        .suite
        .steps
        .iter()
        .filter_map(|s| s.name.as_deref())
        .collect();
    assert_eq!(names, ["findPets", "addPet", "find pet by id", "deletePet"]);
    assert_eq!(
        imported.suite.variables["baseUrl"],
        "https://petstore.swagger.io/v2"
    );

    let add = step(&imported, "addPet");
    assert_eq!(add.method, "POST");
    assert_eq!(add.url, "${baseUrl}/pets");
    // No example in the document: generated from the NewPet schema.
    assert_eq!(
        add.body.as_ref().unwrap().json,
        Some(serde_json::json!({"name": "string", "tag": "string"}))
    );
    assert_eq!(add.checks.status, Some(StatusCheck::Exact(200)));
    // The response schema, references inlined: a Pet (allOf NewPet + id) the checks can compile.
    let schema = add.checks.json_schema.as_ref().unwrap();
    assert!(!schema.to_string().contains("$ref"), "{schema}");
    let compiled = crate::suite::compile_json_schema(schema).unwrap();
    assert!(compiled.is_valid(&serde_json::json!({"id": 7, "name": "Rex"})));
    assert!(
        !compiled.is_valid(&serde_json::json!({"name": "Rex"})),
        "id is required"
    );

    let get = step(&imported, "find pet by id");
    assert_eq!(get.url, "${baseUrl}/pets/${id}");
    assert_eq!(
        step(&imported, "deletePet").checks.status,
        Some(StatusCheck::Exact(204))
    );
    assert_eq!(
        parse_suite(&to_yaml(&imported.suite)).unwrap(),
        imported.suite
    );
}

#[test]
fn an_openapi_31_document_uses_its_examples_and_lists_its_security() {
    let imported = import(MUSEUM_31).unwrap();
    assert_eq!(imported.format, "OpenAPI 3.1");
    assert_eq!(imported.suite.steps.len(), 8);
    assert_eq!(
        imported.suite.variables["eventId"], "dad4bce8-f5cb-4078-a211-995864315e39",
        "the parameter's example"
    );
    let create = step(&imported, "createSpecialEvent");
    let body = create.body.as_ref().unwrap().json.as_ref().unwrap();
    assert_eq!(body["name"], "Mermaid Treasure Identification and Analysis");
    assert_eq!(create.checks.status, Some(StatusCheck::Exact(201)));
    assert_eq!(
        step(&imported, "deleteSpecialEvent").checks.status,
        Some(StatusCheck::Exact(204))
    );
    assert!(noted(
        &imported,
        "security schemes not imported: MuseumPlaceholderAuth"
    ));
    assert!(parse_suite(&to_yaml(&imported.suite)).is_ok());
}

#[test]
fn openapi_30_nullable_is_written_as_json_schema() {
    let doc = r#"{"openapi": "3.0.3", "info": {"title": "T", "version": "1"},
        "servers": [{"url": "/api"}],
        "paths": {"/things/{thingId}": {"get": {"operationId": "getThing",
          "parameters": [{"name": "thingId", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 5}},
                         {"name": "q", "in": "query", "required": true, "schema": {"type": "string", "enum": ["a$b"]}}],
          "responses": {"200": {"description": "ok", "content": {"application/json": {"schema":
            {"type": "object", "properties": {"note": {"type": "string", "nullable": true}}}}}}}}}}}"#;
    let imported = import(doc).unwrap();
    let get = step(&imported, "getThing");
    assert_eq!(get.url, "${baseUrl}/things/${thingId}?q=${q}");
    assert_eq!(imported.suite.variables["thingId"], "5");
    assert_eq!(imported.suite.variables["q"], "a$$b");
    let schema =
        crate::suite::compile_json_schema(get.checks.json_schema.as_ref().unwrap()).unwrap();
    assert!(schema.is_valid(&serde_json::json!({"note": null})));
    assert!(noted(&imported, "server URL is relative (/api)"));
}

/// `trace` (and any method a suite does not send) is noted as not imported, in both versions, and
/// every other operation is one step, once: the suite stays valid.
#[test]
fn operations_a_suite_cannot_send_are_noted_and_the_rest_imported_once() {
    for version in ["3.0.3", "3.1.0"] {
        let doc = format!(
            r#"{{"openapi": "{version}", "info": {{"title": "T", "version": "1"}},
            "servers": [{{"url": "http://127.0.0.1:3000"}}],
            "paths": {{"/a": {{
              "get": {{"operationId": "getA", "responses": {{"200": {{"description": "ok"}}}}}},
              "post": {{"operationId": "postA", "responses": {{"201": {{"description": "ok"}}}}}},
              "trace": {{"operationId": "traceA", "responses": {{"200": {{"description": "ok"}}}}}}}}}}}}"#
        );
        let imported = import(&doc).unwrap();
        let names: Vec<_> = imported
            .suite
            .steps
            .iter()
            .map(|s| s.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(names, ["getA", "postA"], "{version}");
        assert!(
            noted(&imported, "TRACE /a: method TRACE not imported"),
            "{version}: {:?}",
            imported.notes
        );
        assert!(parse_suite(&to_yaml(&imported.suite)).is_ok(), "{version}");
    }
}

/// An API key sent in the query has its key and its value encoded (a template stays a template).
#[test]
fn an_api_key_in_the_query_is_url_encoded() {
    let doc = r#"{"info": {"name": "Keys", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
      "item": [{"name": "x", "request": {"method": "GET", "url": "http://127.0.0.1:3000/x",
        "auth": {"type": "apikey", "apikey": [
          {"key": "key", "value": "k k&", "type": "string"},
          {"key": "value", "value": "v=& {{token}}", "type": "string"},
          {"key": "in", "value": "query", "type": "string"}]}}}]}"#;
    let imported = import(doc).unwrap();
    assert_eq!(
        imported.suite.steps[0].url,
        "http://127.0.0.1:3000/x?k+k%26=v%3D%26+${token}"
    );
}

#[test]
fn other_documents_get_a_clear_refusal() {
    assert!(matches!(import("{ not json"), Err(ImportError::NotJson(_))));
    assert!(matches!(import("a: [b"), Err(ImportError::NotYaml(_))));
    let broken = r#"{"openapi": "3.0.0", "info": {"title": "x", "version": "1"}, "paths": 7}"#;
    assert!(import(broken)
        .unwrap_err()
        .to_string()
        .starts_with("not a valid OpenAPI 3.0.0"));
    let old = r#"{"openapi": "2.5.0", "paths": {}}"#;
    assert!(import(old).unwrap_err().to_string().contains("3.0 and 3.1"));
    let swagger = r#"{"swagger": "2.0", "paths": {}}"#;
    assert!(import(swagger)
        .unwrap_err()
        .to_string()
        .contains("Swagger 2.0"));
    assert!(matches!(
        import(r#"{"a": 1}"#),
        Err(ImportError::Unsupported(_))
    ));
    assert!(matches!(
        import("just words"),
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

#[test]
fn references_that_fan_out_are_bounded() {
    // Twelve properties each referring to the next schema, nine levels: 12^9 nodes if inlined whole.
    let mut schemas = serde_json::Map::new();
    for level in 0..9 {
        let props: serde_json::Map<String, serde_json::Value> = (0..12)
            .map(|i| {
                (
                    format!("p{i}"),
                    serde_json::json!({ "$ref": format!("#/components/schemas/S{}", level + 1) }),
                )
            })
            .collect();
        schemas.insert(
            format!("S{level}"),
            serde_json::json!({ "type": "object", "properties": props }),
        );
    }
    schemas.insert("S9".into(), serde_json::json!({ "type": "string" }));
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "Fan-out", "version": "1" },
        "servers": [{ "url": "https://api.example.test" }],
        "paths": { "/x": { "post": {
            "operationId": "fanOut",
            "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/S0" } } } },
            "responses": { "200": { "description": "ok", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/S0" } } } } }
        } } },
        "components": { "schemas": schemas }
    });
    let started = std::time::Instant::now();
    let imported = import(&doc.to_string()).unwrap();
    let step = step(&imported, "fanOut");
    assert!(step.checks.json_schema.is_none(), "too large to keep");
    assert!(noted(&imported, "fanOut: the response schema is too large"));
    let body = step.body.as_ref().unwrap().json.as_ref().unwrap();
    let size = body.to_string().len();
    assert!(
        size < 1024 * 1024,
        "the generated body is bounded: {size} bytes"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// JSON Schema 2020-12 lets `true` and `false` stand for a schema, and OpenAPI 3.1 with it: such a
/// document imports, its checks keep the booleans, and a generated body leaves out what `false` forbids.
#[test]
fn openapi_31_boolean_schemas_import() {
    let doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "Booleans", "version": "1" },
        "servers": [{ "url": "https://api.example.test" }],
        "paths": { "/things": { "post": {
            "operationId": "addThing",
            "requestBody": { "content": { "application/json": { "schema": {
                "type": "object",
                "properties": { "name": { "type": "string" }, "legacy": false, "extra": true },
                "additionalProperties": false
            } } } },
            "responses": { "201": { "description": "made", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Thing" } } } } }
        } } },
        "components": { "schemas": {
            "Thing": { "type": "object", "properties": { "id": { "type": "integer" }, "meta": true },
                       "prefixItems": [true], "not": false },
            "Anything": true
        } }
    });
    let imported = import(&doc.to_string()).expect("boolean schemas are schemas");
    let step = step(&imported, "addThing");
    let body = step.body.as_ref().unwrap().json.as_ref().unwrap();
    assert!(body.get("name").is_some(), "{body}");
    assert!(body.get("legacy").is_none(), "false forbids it: {body}");
    let schema = step
        .checks
        .json_schema
        .as_ref()
        .expect("the response schema");
    assert_eq!(
        schema["properties"]["meta"],
        serde_json::json!(true),
        "{schema}"
    );
    assert_eq!(schema["not"], serde_json::json!(false), "{schema}");
    // The suite the import makes is a valid one.
    let yaml = serde_yaml_ng::to_string(&imported.suite).unwrap();
    assert!(parse_suite(&yaml).is_ok(), "{yaml}");
}
