import Foundation
import Testing
@testable import CEAuthCore
import CEAuthSandbox

func fixture(_ name: String) throws -> JSONValue {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    return try JSONValue.parse(Data(contentsOf: url))
}

@Suite struct TemplateTests {
    let code = "<AUTHORIZATION_GRANT_CODE>"
    let clientID = "xxxxxxxxxxxxxxxxxx"
    let secret = Secret("xxxxxxxxxxxxxxxxxxxxxxxx")

    func values(_ redirect: String, name: String = "API Instance with Polling", tags: [String] = ["Docs"],
                events: EventsOptions?) -> InstanceValues {
        InstanceValues(code: code, clientID: clientID, clientSecret: secret, redirectURI: redirect,
                       name: name, tags: tags, events: events)
    }

    @Test func gmailWithEventsIsTheDocumentsBody() throws {
        let template = try TemplateLibrary.builtIn.element("gmail")
        let body = try InstanceBodyRenderer.render(template, values: values(
            "https://auth.mycoolapp.com/oauth",
            events: EventsOptions(callbackURL: "https://cloud-element.com/elements/api-v2/events/page.elementKey/")))
        #expect(body == (try fixture("gmail-events")))
    }

    @Test func googlecalendarPrimaryWithEventsIsTheDocumentsBody() throws {
        let template = try TemplateLibrary.builtIn.element("googlecalendar")
        let body = try InstanceBodyRenderer.render(template, values: values(
            "https://mycoolapp.com",
            events: EventsOptions(callbackURL: "https://cloud-element.com/elements/api-v2/events/googlecalendar/")))
        #expect(body == (try fixture("googlecalendar-events-primary")))
    }

    @Test func googlecalendarWithCalendarIDIsTheDocumentsCurlBody() throws {
        let template = try TemplateLibrary.builtIn.element("googlecalendar")
        let body = try InstanceBodyRenderer.render(template, values: values(
            "https://mycoolapp.com",
            events: EventsOptions(callbackURL: "https://cloud-element.com/elements/api-v2/events/googlecalendar/",
                                  parameters: ["calendarId": "ov7i6xxxxxxxxxxxxxxxxxx@group.calendar.google.com"])))
        #expect(body == (try fixture("googlecalendar-events-calendar")))
    }

    @Test(arguments: [("gmail", "https://auth.mycoolapp.com/oauth"), ("googlecalendar", "https://mycoolapp.com")])
    func withoutEventsNotificationsAreOffAndNoPollers(element: String, redirect: String) throws {
        let template = try TemplateLibrary.builtIn.element(element)
        let body = try InstanceBodyRenderer.render(template, values: values(redirect, name: "API Instance", tags: [], events: nil))
        #expect(body == (try fixture("\(element)-no-events")))
    }

    @Test func valuesCannotBreakOutOfTheirPlace() throws {
        let template = try TemplateLibrary.builtIn.element("gmail")
        let hostile = #"x", "providerData": {"code": "evil"}, "y": "{{clientSecret}}"#
        let body = try InstanceBodyRenderer.render(template, values: values(
            "http://127.0.0.1:1/", name: hostile, tags: ["{{clientSecret}}", #"a"b\c"#], events: nil))
        #expect(body["name"] == .string(hostile))
        #expect(body["tags"] == .array([.string("{{clientSecret}}"), .string(#"a"b\c"#)]))
        #expect(body["providerData"]?["code"] == .string(code))
        // And the encoded text round-trips to the same structure.
        #expect(try JSONValue.parse(body.encoded()) == body)
    }

    @Test func calendarIDIsEncodedAsOnePathSegment() throws {
        let template = try TemplateLibrary.builtIn.element("googlecalendar")
        let body = try InstanceBodyRenderer.render(template, values: values("http://127.0.0.1:1/", events: EventsOptions(
            callbackURL: "https://e.example/", parameters: ["calendarId": "en.usa#holiday@group.v.calendar.google.com/../x?y"])))
        let url = body["configuration"]?["event.poller.configuration"]?["calendars/{calendarId}/changed-events"]?["url"]?.stringValue
        #expect(url == "/hubs/scheduling/calendars/en.usa%23holiday@group.v.calendar.google.com%2F..%2Fx%3Fy/changed-events")
    }

    @Test func calendarIDForGmailIsRefused() throws {
        let template = try TemplateLibrary.builtIn.element("gmail")
        #expect(throws: TemplateError.unsupportedParameter(option: "--calendar-id", element: "gmail")) {
            try InstanceBodyRenderer.render(template, values: values("http://127.0.0.1:1/", events: EventsOptions(
                callbackURL: "https://e.example/", parameters: ["calendarId": "x"])))
        }
    }

    @Test func unknownElementNamesTheKnownOnes() {
        #expect(throws: TemplateError.unknownElement("outlook", available: ["gmail", "googlecalendar"])) {
            try TemplateLibrary.builtIn.element("outlook")
        }
        #expect(throws: TemplateError.invalidElementKey("../gmail")) { try TemplateLibrary.builtIn.element("../gmail") }
    }

    @Test func userFolderAddsAndOverridesElements() throws {
        let directory = TemporaryDirectory()
        let text = """
        {"key": "gmailcustom", "displayName": "Custom", "hub": "general",
         "authorization": {"issuer": "https://accounts.google.com", "endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                           "scopes": ["https://www.googleapis.com/auth/gmail.readonly"], "parameters": {}},
         "instance": {"element": {"key": "gmail"}, "providerData": {"code": "{{code}}"}, "name": "{{name}}",
                      "configuration": {"oauth.api.key": "{{clientId}}", "oauth.api.secret": "{{clientSecret}}",
                                        "oauth.callback.url": "{{redirectUri}}"}}}
        """
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory.path + "/gmailcustom.json"))
        try Data("<p>{{name}} custom</p>".utf8).write(to: URL(fileURLWithPath: directory.path + "/success.html"))
        let library = try TemplateLibrary.builtIn.overlaying(directory: URL(fileURLWithPath: directory.path))
        #expect(library.elementKeys == ["gmail", "gmailcustom", "googlecalendar"])
        #expect(try library.element("gmailcustom").authorization.scopes == ["https://www.googleapis.com/auth/gmail.readonly"])
        #expect(try library.page("success.html") == "<p>{{name}} custom</p>")
    }

    @Test func brokenUserTemplatesAreNamed() throws {
        let directory = TemporaryDirectory()
        try Data("{ nope".utf8).write(to: URL(fileURLWithPath: directory.path + "/bad.json"))
        try Data(#"{"key": "other"}"#.utf8).write(to: URL(fileURLWithPath: directory.path + "/wrongkey.json"))
        try Data(#"{"key": "x", "displayName": "X", "hub": "h", "authorization": {"issuer": "i", "endpoint": "e", "scopes": ["s"], "parameters": {}}, "instance": {"name": "{{nmae}}"}}"#.utf8)
            .write(to: URL(fileURLWithPath: directory.path + "/x.json"))
        let library = try TemplateLibrary.builtIn.overlaying(directory: URL(fileURLWithPath: directory.path))
        #expect(throws: TemplateError.invalid(file: directory.path + "/bad.json", reason: "it is not valid JSON")) {
            try library.element("bad")
        }
        #expect(throws: TemplateError.self) { try library.element("wrongkey") }
        let x = try library.element("x")
        #expect(throws: TemplateError.unknownPlaceholder("nmae", element: "x")) {
            try InstanceBodyRenderer.render(x, values: values("http://127.0.0.1:1/", events: nil))
        }
        #expect(throws: TemplateError.self) {
            try TemplateLibrary.builtIn.overlaying(directory: URL(fileURLWithPath: directory.path + "/missing"))
        }
    }

    @Test func htmlPagesEscapeEveryValue() throws {
        let page = HTMLPage.render(try TemplateLibrary.builtIn.page("failure.html"), values: [
            "title": "<script>alert(1)</script>", "message": #"a "quoted" & 'single'"#, "hint": "",
        ])
        #expect(!page.contains("<script>alert"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("a &quot;quoted&quot; &amp; &#39;single&#39;"))
        #expect(!page.contains("{{"))
        // No external resources: nothing is loaded from anywhere.
        for name in ["success.html", "failure.html"] {
            let text = try TemplateLibrary.builtIn.page(name)
            #expect(!text.contains("http://") && !text.contains("https://") && !text.contains("src="))
        }
    }
}

@Suite struct PageIncludeTests {
    @Test func thePagesShareOneStylesheet() throws {
        for name in ["success.html", "failure.html"] {
            let page = try TemplateLibrary.builtIn.page(name)
            #expect(page.contains("@media (prefers-color-scheme: dark)") && !page.contains("#include"), "\(name)")
        }
    }

    @Test func anIncludeThatIsMissingIsAnError() throws {
        let directory = TemporaryDirectory()
        try Data("<style>\n<!--#include nowhere.css-->\n</style>\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/success.html"))
        let library = try TemplateLibrary.builtIn.overlaying(directory: URL(fileURLWithPath: directory.path))
        #expect(throws: TemplateError.missingPage("nowhere.css")) { try library.page("success.html") }
    }
}
