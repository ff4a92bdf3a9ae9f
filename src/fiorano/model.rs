//! The Fiorano documents the checks read, as far as they reference other files
//! (the server's `ApplicationRepository.java`,
//! `ApplicationParser`, `MicroServiceRepoManager`): `EventProcess.xml`, `ServiceDescriptor.xml`, policies.

use roxmltree::{Document, Node, ParsingOptions};

/// Documents larger than this are not parsed (a finding instead).
pub const MAX_XML_BYTES: u64 = 64 << 20;

/// Parses an XML document, refusing DTDs (none of Fiorano's documents has one).
pub fn parse(text: &str) -> Result<Document<'_>, String> {
    Document::parse_with_options(text, ParsingOptions { allow_dtd: false, ..ParsingOptions::default() }).map_err(|e| e.to_string())
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

fn attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_string)
}

/// A port instance of a service instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInstance {
    pub name: String,
    pub input: bool,
    /// `<schema><file>` and `<schemaref><file>` names (in `schemas/`).
    pub schema_files: Vec<String>,
    /// App-context transformation files (in `transformations/ports/<inst>/<port>/`).
    pub transformation_files: Vec<String>,
}

/// `<inst>`: a service instance, or `<remote-inst>`: an instance of another application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub name: String,
    /// `<service guid version>`; `None` for a remote instance.
    pub service: Option<(String, String)>,
    /// `(application guid, version, instance name)` of a remote instance.
    pub remote: Option<(String, String, String)>,
    pub config_file: Option<String>,
    pub ports: Vec<PortInstance>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub name: String,
    pub source: (String, String),
    pub target: (String, String),
    /// Files in `transformations/routes/<route>/`.
    pub transformation_files: Vec<String>,
}

/// What `EventProcess.xml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventProcess {
    pub guid: String,
    pub version: String,
    pub deployment_label: Option<String>,
    /// The application-context schema file (in `schemas/`).
    pub context_schema_files: Vec<String>,
    pub instances: Vec<Instance>,
    pub routes: Vec<Route>,
}

fn schema_files(node: Node<'_, '_>) -> Vec<String> {
    let mut files = Vec::new();
    for schema in node.descendants().filter(|n| n.is_element() && n.tag_name().name() == "schema") {
        files.extend(children(schema, "file").filter_map(|f| f.text().map(|t| t.trim().to_string())).filter(|t| !t.is_empty()));
        for refs in schema.descendants().filter(|n| n.is_element() && n.tag_name().name() == "schemaref") {
            files.extend(children(refs, "file").filter_map(|f| f.text().map(|t| t.trim().to_string())).filter(|t| !t.is_empty()));
        }
    }
    files.sort();
    files.dedup();
    files
}

fn transformation_files(node: Node<'_, '_>) -> Vec<String> {
    node.descendants().filter(|n| n.is_element() && matches!(n.tag_name().name(), "script-file" | "jms-script-file" | "project-file")).filter_map(|n| attr(n, "name")).collect()
}

pub fn event_process(doc: &Document<'_>) -> Result<EventProcess, String> {
    let root = doc.root_element();
    if root.tag_name().name() != "application" {
        return Err(format!("the root element is <{}>, not <application>", root.tag_name().name()));
    }
    let guid = attr(root, "guid").ok_or("<application> has no guid")?;
    let version = attr(root, "version").ok_or("<application> has no version")?;
    let deployment_label = child(root, "deployment").and_then(|d| attr(d, "label"));
    let context_schema_files = child(root, "application-context").map(schema_files).unwrap_or_default();
    let mut instances = Vec::new();
    if let Some(list) = child(root, "service-instances") {
        for inst in list.children().filter(|n| n.is_element()) {
            let name = attr(inst, "name").unwrap_or_default();
            match inst.tag_name().name() {
                "inst" => {
                    let service = child(inst, "service").map(|s| (attr(s, "guid").unwrap_or_default(), attr(s, "version").unwrap_or_default()));
                    let mut ports = Vec::new();
                    for (list, input) in [("inputport-instances", true), ("outputport-instances", false)] {
                        for port in child(inst, list).into_iter().flat_map(|l| l.children().filter(|n| n.is_element())) {
                            ports.push(PortInstance { name: attr(port, "name").unwrap_or_default(), input, schema_files: schema_files(port), transformation_files: transformation_files(port) });
                        }
                    }
                    instances.push(Instance { name, service, remote: None, config_file: child(inst, "config-file").and_then(|c| attr(c, "name")), ports });
                }
                "remote-inst" | "remoteinst" => {
                    let remote = (attr(inst, "application-guid").unwrap_or_default(), attr(inst, "application-version").unwrap_or_default(), attr(inst, "inst-name").unwrap_or_default());
                    instances.push(Instance { name, service: None, remote: Some(remote), config_file: None, ports: Vec::new() });
                }
                _ => {}
            }
        }
    }
    let mut routes = Vec::new();
    if let Some(list) = child(root, "routes") {
        for route in children(list, "route") {
            let end = |tag: &str| child(route, tag).map(|n| (attr(n, "inst").unwrap_or_default(), attr(n, "port").unwrap_or_default())).unwrap_or_default();
            routes.push(Route { name: attr(route, "name").unwrap_or_default(), source: end("source"), target: end("target"), transformation_files: transformation_files(route) });
        }
    }
    Ok(EventProcess { guid, version, deployment_label, context_schema_files, instances, routes })
}

/// What `ServiceDescriptor.xml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDescriptor {
    pub guid: String,
    pub version: String,
    pub resources: Vec<String>,
    pub servicerefs: Vec<(String, String)>,
    pub schema_files: Vec<String>,
}

pub fn service_descriptor(doc: &Document<'_>) -> Result<ServiceDescriptor, String> {
    let root = doc.root_element();
    if root.tag_name().name() != "service" {
        return Err(format!("the root element is <{}>, not <service>", root.tag_name().name()));
    }
    let guid = attr(root, "guid").ok_or("<service> has no guid")?;
    let version = attr(root, "version").ok_or("<service> has no version")?;
    let resources = root.descendants().filter(|n| n.is_element() && n.tag_name().name() == "resource").filter_map(|n| attr(n, "name")).collect();
    let servicerefs =
        root.descendants().filter(|n| n.is_element() && n.tag_name().name() == "serviceref").map(|n| (attr(n, "guid").unwrap_or_default(), attr(n, "version").unwrap_or_default())).collect();
    let schema_files = child(root, "execution").map(schema_files).unwrap_or_default();
    Ok(ServiceDescriptor { guid, version, resources, servicerefs, schema_files })
}

/// The alerts a policy names: the text or `id`/`name` attribute of elements whose local
/// name is one of `elements`, and the values of attributes named so.
pub fn policy_alerts(doc: &Document<'_>, elements: &[String]) -> Vec<String> {
    let wanted = |n: &str| elements.iter().any(|e| e.eq_ignore_ascii_case(n));
    let mut out = Vec::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        if wanted(n.tag_name().name()) {
            if let Some(v) = n.attribute("id").or(n.attribute("name")).or(n.attribute("alertId")) {
                out.push(v.trim().to_string());
            } else if let Some(t) = n.text().map(str::trim).filter(|t| !t.is_empty()) {
                out.push(t.to_string());
            }
        }
        for a in n.attributes() {
            if wanted(a.name()) {
                out.extend(a.value().split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Versions are Java floats rendered as text (`1.0`): `1` and `1.0` are the same version.
pub fn same_version(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f32>(), b.parse::<f32>()), (Ok(x), Ok(y)) if x == y)
}
