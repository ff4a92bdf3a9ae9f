//! A Fiorano runtimedata repository and a system repository for tests, laid out as FioranoESB
//! writes them (`ApplicationRepository`, `ApplicationParser.writeApplication`,
//! `MicroServiceRepoManager`) with descriptors like the Fiorano-Microservice-Toolkit samples':
//! event processes with config, schema and transformation files,
//! routes and a remote instance; components with descriptors, resources and servicerefs; an
//! alert and a backlog policy.

use std::path::Path;

fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const FAULT_SCHEMA: &str = "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"http://www.fiorano.com/fesb/activity/fault\"><xsd:element name=\"Error\"/></xsd:schema>";

fn descriptor(guid: &str, version: &str, resources: &[&str], servicerefs: &[(&str, &str)], out_schema: Option<&str>) -> String {
    let res: String = resources.iter().map(|r| format!("      <resource name=\"{r}\"/>\n")).collect();
    let refs: String = servicerefs.iter().map(|(g, v)| format!("      <serviceref guid=\"{g}\" version=\"{v}\"/>\n")).collect();
    let out = out_schema
        .map(|f| format!("      <port name=\"ON_EXCEPTION\">\n        <schema root=\"{{http://www.fiorano.com/fesb/activity/fault}}Error\"><file>{f}</file></schema>\n      </port>\n"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<service guid="{guid}" version="{version}">
  <display categories="Flow" name="{guid}"/>
  <icon large="{lower}32.png" small="{lower}.png"/>
  <creation authors="Fiorano" date="01-11-2026 10:00:00"/>
  <short-description>{guid} component</short-description>
  <deployment label="PRODUCTION">
    <resources>
{res}    </resources>
    <servicerefs>
{refs}    </servicerefs>
  </deployment>
  <execution transaction="false">
    <launchtype supported="7"/>
    <separate-process executable="com.fiorano.services.{lower}.Launcher"/>
    <input-ports><port name="IN_PORT"><description>input</description></port></input-ports>
    <output-ports>
{out}      <port name="OUT_PORT"/>
    </output-ports>
  </execution>
</service>
"#,
        lower = guid.to_ascii_lowercase()
    )
}

fn component(repo: &Path, guid: &str, version: &str, resources: &[&str], servicerefs: &[(&str, &str)], schema: Option<&str>) {
    let dir = repo.join(guid).join(version);
    put(&dir.join("ServiceDescriptor.xml"), &descriptor(guid, version, resources, servicerefs, schema));
    for r in resources {
        put(&dir.join(r), "PK\u{3}\u{4} not really a jar");
    }
    if let Some(s) = schema {
        put(&dir.join(s), FAULT_SCHEMA);
    }
}

/// `env/<label>.xml` for every label, as the repository writes them for each event process
/// (FioranoESB `Application.writeManageableProperties`), with or without manageable properties.
fn env_files(app: &Path) {
    for label in ["development", "testing", "staging", "production"] {
        put(
            &app.join("env").join(format!("{label}.xml")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><target:target xmlns:target=\"http://fiorano.com/environment/1.0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://fiorano.com/environment/1.0 env.xsd\"/>",
        );
    }
}

/// Writes `<dir>/runtimedata` and `<dir>/install` (the system repository).
pub fn write(dir: &Path) {
    let rd = dir.join("runtimedata");
    let repo = rd.join("repository");
    let system = dir.join("install/esb/server/repository/components");
    // System (pre-built) components.
    // Servicerefs chain as in the vendor's descriptors: Feeder, Display and CBR need
    // EDBCEngine, which needs JMSLib.
    component(&system, "CBR", "4.0", &["fesb-comp-CBR.jar"], &[("EDBCEngine", "4.0")], Some("ON_EXCEPTION.xsd"));
    component(&system, "EDBCEngine", "4.0", &["edbc.jar"], &[("JMSLib", "4.0")], None);
    component(&system, "JMSLib", "4.0", &["jmslib.jar"], &[], None);
    component(&system, "Feeder", "4.0", &["fesb-comp-feeder.jar", "sample.gif"], &[("EDBCEngine", "4.0")], None);
    component(&system, "Display", "4.0", &["fesb-comp-display.jar"], &[("EDBCEngine", "4.0")], None);
    component(&system, "chat", "4.0", &["chat.jar"], &[("EDBCEngine", "4.0")], None);
    // A user component (an edited pre-built one would be here too).
    component(&repo.join("components"), "OrderValidator", "1.0", &["validator.jar", "rules.properties"], &[("CBR", "4.0")], None);

    let schema = "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:orders\"><xsd:element name=\"Order\"/></xsd:schema>";
    // Event process ORDERS: Feeder → CBR → OrderValidator → Display, with a route transformation.
    let app = repo.join("applications/ORDERS/1.0");
    put(
        &app.join("EventProcess.xml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<application guid="ORDERS" version="1.0">
  <display name="Orders" categories="Samples"/>
  <creation date="01-11-2026 10:00:00" authors="admin" schema-version="2.0"/>
  <deployment label="development"/>
  <application-context><schema root="{urn:orders}Context"><file>ORDERS.xsd</file></schema></application-context>
  <service-instances>
    <inst name="Feeder1">
      <service guid="Feeder" version="4.0"/>
      <config-file name="Feeder1.xml"/>
      <deployment nodes="fps"/>
      <outputport-instances>
        <outputport-instance name="OUT_PORT">
          <schema root="{urn:orders}Order"><file>Feeder1.OUT_PORT.xsd</file></schema>
        </outputport-instance>
        <outputport-instance name="ON_EXCEPTION">
          <schema root="{http://www.fiorano.com/fesb/activity/fault}Error"><file>ON_EXCEPTION.xsd</file></schema>
        </outputport-instance>
      </outputport-instances>
    </inst>
    <inst name="CBR1">
      <service guid="CBR" version="4.0"/>
      <config-file name="CBR1.xml"/>
      <inputport-instances>
        <inputport-instance name="IN_PORT">
          <schema root="{urn:orders}Order"><file>CBR1.IN_PORT.xsd</file>
            <schemarefs><schemaref uri="urn:common"><file>CBR1.IN_PORT.1.xsd</file></schemaref></schemarefs>
          </schema>
        </inputport-instance>
      </inputport-instances>
      <outputport-instances>
        <outputport-instance name="OUT_PORT"/>
        <outputport-instance name="ON_EXCEPTION"/>
      </outputport-instances>
    </inst>
    <inst name="Validator1">
      <service guid="OrderValidator" version="1.0"/>
      <inputport-instances><inputport-instance name="IN_PORT"/></inputport-instances>
      <outputport-instances>
        <outputport-instance name="OUT_PORT">
          <app-context-action><message-transformation><script-file name="script.xml"/><project-file name="project.fmp"/></message-transformation></app-context-action>
        </outputport-instance>
      </outputport-instances>
    </inst>
    <inst name="Display1">
      <service guid="Display" version="4.0"/>
      <inputport-instances><inputport-instance name="IN_PORT"/></inputport-instances>
      <outputport-instances>
        <outputport-instance name="ON_EXCEPTION">
          <schema root="{http://www.fiorano.com/fesb/activity/fault}Error"><file>ON_EXCEPTION.xsd</file></schema>
        </outputport-instance>
      </outputport-instances>
    </inst>
    <remote-inst name="Audit1" application-guid="AUDIT" application-version="1.0" application-schema-version="2.0" inst-name="Display1"/>
  </service-instances>
  <routes>
    <route name="route1"><source inst="Feeder1" port="OUT_PORT"/><target inst="CBR1" port="IN_PORT"/>
      <message-transformation><script-file name="script.xml"/></message-transformation></route>
    <route name="route2"><source inst="CBR1" port="OUT_PORT"/><target inst="Validator1" port="IN_PORT"/></route>
    <route name="route3"><source inst="Validator1" port="OUT_PORT"/><target inst="Display1" port="IN_PORT"/></route>
    <route name="route4"><source inst="CBR1" port="ON_EXCEPTION"/><target inst="Audit1" port="IN_PORT"/></route>
  </routes>
  <layout><![CDATA[<layout/>]]></layout>
</application>
"#,
    );
    put(&app.join("config/Feeder1.xml"), "<config><message>&lt;Order/&gt;</message></config>");
    put(&app.join("config/CBR1.xml"), "<config><xpath>/Order[@priority='high']</xpath></config>");
    for f in ["ORDERS.xsd", "Feeder1.OUT_PORT.xsd", "CBR1.IN_PORT.xsd", "CBR1.IN_PORT.1.xsd"] {
        put(&app.join("schemas").join(f), schema);
    }
    // One fault schema for the ON_EXCEPTION ports of Feeder1 and Display1.
    put(&app.join("schemas/ON_EXCEPTION.xsd"), FAULT_SCHEMA);
    put(&app.join("transformations/routes/route1/script.xml"), "<script/>");
    put(&app.join("transformations/ports/Validator1/OUT_PORT/script.xml"), "<script/>");
    put(&app.join("transformations/ports/Validator1/OUT_PORT/project.fmp"), "project");
    env_files(&app);

    // Event process AUDIT: the remote instance's application.
    let audit = repo.join("applications/AUDIT/1.0");
    put(
        &audit.join("EventProcess.xml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<application guid="AUDIT" version="1.0">
  <display name="Audit"/>
  <deployment label="development"/>
  <service-instances>
    <inst name="Display1"><service guid="Display" version="4.0"/><inputport-instances><inputport-instance name="IN_PORT"/></inputport-instances></inst>
  </service-instances>
  <routes/>
</application>
"#,
    );
    env_files(&audit);

    // Event process SIMPLECHAT: two chat instances talking to each other; each one's input
    // and output port carry the same message, so both ports name its IN_PORT schema.
    let chat = repo.join("applications/SIMPLECHAT/1.0");
    put(
        &chat.join("EventProcess.xml"),
        r#"<?xml version="1.0" encoding="UTF-8"?>
<application guid="SIMPLECHAT" version="1.0">
  <display name="Simple Chat" categories="Samples"/>
  <creation date="01-11-2026 10:00:00" authors="admin" schema-version="2.0"/>
  <deployment label="development"/>
  <service-instances>
    <inst name="chat1">
      <service guid="chat" version="4.0"/>
      <config-file name="chat1.xml"/>
      <inputport-instances>
        <inputport-instance name="IN_PORT"><schema root="{http://www.fiorano.com/fesb/activity/Chat1}ChatMessage"><file>chat1.IN_PORT.xsd</file></schema></inputport-instance>
      </inputport-instances>
      <outputport-instances>
        <outputport-instance name="OUT_PORT"><schema root="{http://www.fiorano.com/fesb/activity/Chat1}ChatMessage"><file>chat1.IN_PORT.xsd</file></schema></outputport-instance>
      </outputport-instances>
    </inst>
    <inst name="chat2">
      <service guid="chat" version="4.0"/>
      <config-file name="chat2.xml"/>
      <inputport-instances>
        <inputport-instance name="IN_PORT"><schema root="{http://www.fiorano.com/fesb/activity/Chat2}ChatMessage"><file>chat2.IN_PORT.xsd</file></schema></inputport-instance>
      </inputport-instances>
      <outputport-instances>
        <outputport-instance name="OUT_PORT"><schema root="{http://www.fiorano.com/fesb/activity/Chat2}ChatMessage"><file>chat2.IN_PORT.xsd</file></schema></outputport-instance>
      </outputport-instances>
    </inst>
  </service-instances>
  <routes>
    <route name="route1"><source inst="chat1" port="OUT_PORT"/><target inst="chat2" port="IN_PORT"/></route>
    <route name="route2"><source inst="chat2" port="OUT_PORT"/><target inst="chat1" port="IN_PORT"/></route>
  </routes>
  <layout><![CDATA[<layout/>]]></layout>
</application>
"#,
    );
    for n in ["chat1", "chat2"] {
        put(&chat.join(format!("config/{n}.xml")), &format!("<config><displayName>{n}</displayName></config>"));
        put(&chat.join(format!("schemas/{n}.IN_PORT.xsd")), "<xsd:schema xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><xsd:element name=\"ChatMessage\"/></xsd:schema>");
    }
    env_files(&chat);

    // Alerts and a backlog policy.
    put(&repo.join("Notifications/MailOps.xml"), "<alert><transport type=\"SMTP\"><to>ops@example.com</to></transport></alert>");
    put(
        &repo.join("Policies/Backlog/OrdersBacklog.xml"),
        r#"<policy id="OrdersBacklog" state="ACTIVE"><condition application="ORDERS" instance="CBR1" port="IN_PORT" count="1000"/><alerts><alert id="MailOps"/></alerts></policy>"#,
    );
    // Ordinary runtime content that belongs in a backup.
    put(&rd.join("EnterpriseServers/server1/FES/conf/profile.xml"), "<profile/>");
}
