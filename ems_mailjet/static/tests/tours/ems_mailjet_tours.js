/** @odoo-module **/
/*
 * The screens a person uses, in a real browser (started by tests/test_tours.py).
 * Every flow is registered once per language, with the labels the user must read:
 * "ems_mailjet_<flow>_en" and "ems_mailjet_<flow>_de". Any error in the browser's
 * console fails the tour (HttpCase.browser_js).
 */
import {registry} from "@web/core/registry";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

const LABELS = {
    en: {
        interfaces: "Interfaces",
        apiKey: "API key",
        apiPassword: "API password",
        notConnected: "Not connected",
        testConnection: "Test connection",
        connectionOk: "Mailjet accepted the API key and password.",
        participants: "Participants",
        contactList: "Contact list",
        accepted: "Accepted",
        declined: "Declined",
        resubscribe: "Re-subscribe with consent",
        consent: "Customer's consent",
    },
    de: {
        interfaces: "Schnittstellen",
        apiKey: "API-Schlüssel",
        apiPassword: "API-Passwort",
        notConnected: "Nicht verbunden",
        testConnection: "Verbindung testen",
        connectionOk: "Mailjet hat API-Schlüssel und Passwort akzeptiert.",
        participants: "Teilnehmer",
        contactList: "Kontaktliste",
        accepted: "Zugesagt",
        declined: "Abgesagt",
        resubscribe: "Mit Zustimmung wieder anmelden",
        consent: "Zustimmung des Kunden",
    },
};

const currentState = (label) => ({
    content: `the status bar shows "${label}"`,
    trigger: `.o_statusbar_status .o_arrow_button_current:contains("${label}")`,
});

/*
 * An admin connects Mailjet: Settings → Interfaces → New, key and password, save, test.
 * The test is one quick attempt whose answer is a notification; it writes nothing on the
 * interface (the background synchronisation that saving queued sets the state).
 */
function interfaceSteps(L) {
    return [
        ...stepUtils.goToAppSteps("base.menu_administration", "Open the settings"),
        {
            content: `the settings show the block "${L.interfaces}"`,
            trigger: `.o_setting_box:contains("${L.interfaces}") button.btn-link:contains("${L.interfaces}")`,
            run: "click",
        },
        {
            content: "the list of interfaces opens; create one",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Mailjet newsletter account",
        },
        {
            content: `the field is labelled "${L.apiKey}"`,
            trigger: `.o_form_label:contains("${L.apiKey}")`,
        },
        {
            trigger: ".o_field_widget[name=api_key] input",
            run: "edit tour-key",
        },
        {
            content: `the field is labelled "${L.apiPassword}"`,
            trigger: `.o_form_label:contains("${L.apiPassword}")`,
        },
        {
            trigger: ".o_field_widget[name=api_secret_input] input[type=password]",
            run: "edit tour-secret",
        },
        ...stepUtils.saveForm(),
        currentState(L.notConnected),
        {
            trigger: `.o_form_statusbar button[name=action_test_connection]:contains("${L.testConnection}")`,
            run: "click",
        },
        {
            content: `Mailjet's answer is shown: "${L.connectionOk}"`,
            trigger: `.o_notification:has(.o_notification_bar.bg-success) .o_notification_content:contains("${L.connectionOk}")`,
        },
    ];
}

/*
 * A campaign user: new newsletter campaign, a partner, an employee and a bare address,
 * added as rows of the participants tab while the campaign is still new. The tab does not
 * ask for the campaign (it is the one on screen), so each row can be kept.
 */
function campaignSteps(L) {
    const tab = "div[name=participant_ids]";
    const rows = `${tab} .o_data_row`;
    const addLine = {
        trigger: `${tab} .o_field_x2many_list_row_add a`,
        run: "click",
    };
    const pick = (field, search, name) => [
        addLine,
        {
            trigger: `${tab} .o_selected_row .o_field_widget[name=${field}] input`,
            run: `edit ${search}`,
        },
        {
            trigger: `.o-autocomplete--dropdown-menu .ui-menu-item a:contains("${name}")`,
            run: "click",
        },
        {
            content: "the e-mail address is filled in from the record",
            trigger: `${tab} .o_selected_row .o_field_widget[name=email] input:not(:value(""))`,
        },
    ];
    return [
        ...stepUtils.goToAppSteps("ems_mailjet.menu_ems_root", "Open the campaigns"),
        {
            trigger:
                ".o_list_view .o_list_button_add, .o_kanban_view .o-kanban-button-new",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=title] input",
            run: "edit Summer newsletter",
        },
        {
            content: 'the box "Newsletter (E-Mail-Marketing)" is there',
            trigger: '.o_form_label:contains("Newsletter (E-Mail-Marketing)")',
        },
        {
            trigger: ".o_field_widget[name=mailjet_newsletter] input[type=checkbox]",
            run: "click",
        },
        {
            trigger: `.o_notebook .nav-link:contains("${L.participants}")`,
            run: "click",
        },
        {
            content: "the tab does not ask for the campaign: it is this one",
            trigger: `${tab} .o_list_table:not(:has(th[data-name=campaign_id]))`,
        },
        ...pick("partner_id", "Erika", "Erika Mustermann"),
        ...pick("employee_id", "Max Mu", "Max Muster"),
        addLine,
        {
            trigger: `${tab} .o_selected_row .o_field_widget[name=email] input`,
            run: "edit anna.beispiel@example.org",
        },
        ...stepUtils.saveForm(),
        {
            content: `three participants, all "${L.accepted}"`,
            trigger: `${rows}:nth-child(3):contains("anna.beispiel@example.org")`,
        },
        {
            trigger: `${rows}:contains("Erika Mustermann"):contains("${L.accepted}")`,
        },
        {
            trigger: `${rows}:contains("Max Muster"):contains("${L.accepted}")`,
        },
        {
            trigger: `.o_notebook .nav-link:contains("Mailjet")`,
            run: "click",
        },
        {
            content: `the Mailjet tab shows the "${L.contactList}"`,
            trigger: `.tab-pane.active .o_horizontal_separator:contains("${L.contactList}")`,
        },
    ];
}

/*
 * A manager re-subscribes a declined participant through the consent dialog, reaching the
 * participant by clicking: Campaigns → the campaign → its participants tab → "View".
 */
function resubscribeSteps(L) {
    const erika = `div[name=participant_ids] .o_data_row:contains("Erika Mustermann")`;
    return [
        ...stepUtils.goToAppSteps("ems_mailjet.menu_ems_root", "Open the campaigns"),
        {
            trigger:
                '.o_list_view .o_data_row .o_data_cell:contains("Autumn newsletter")',
            run: "click",
        },
        {
            trigger: `.o_notebook .nav-link:contains("${L.participants}")`,
            run: "click",
        },
        {
            content: `the participant is "${L.declined}"; open it`,
            trigger: `${erika}:contains("${L.declined}") .o_list_record_open_form_view button`,
            run: "click",
        },
        {
            content: "the participant's form is open",
            trigger: '.o_breadcrumb .active:contains("Erika Mustermann")',
        },
        currentState(L.declined),
        {
            trigger: `.o_form_statusbar button:contains("${L.resubscribe}")`,
            run: "click",
        },
        {
            content: `the dialog asks for the "${L.consent}"`,
            trigger: `.modal .o_form_label:contains("${L.consent}")`,
        },
        {
            trigger: ".modal .o_field_widget[name=consent_note] textarea",
            run: "edit Asked by e-mail on 3 May to get the newsletter again.",
        },
        {
            trigger: ".modal-footer button[name=action_confirm]",
            run: "click",
        },
        {
            content: "the dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
        currentState(L.accepted),
        {
            content: "the consent is recorded on the participant",
            trigger:
                ".o_field_widget[name=consent_note]:contains(Asked by e-mail on 3 May)",
        },
        {
            content: "back to the campaign through the breadcrumb",
            trigger: '.o_breadcrumb .breadcrumb-item a:contains("Autumn newsletter")',
            run: "click",
        },
        {
            content: `the campaign's tab shows the participant "${L.accepted}"`,
            trigger: `${erika}:contains("${L.accepted}")`,
        },
    ];
}

const FLOWS = {
    interface: interfaceSteps,
    campaign: campaignSteps,
    resubscribe: resubscribeSteps,
};

for (const [flow, steps] of Object.entries(FLOWS)) {
    for (const [lang, labels] of Object.entries(LABELS)) {
        registry.category("web_tour.tours").add(`ems_mailjet_${flow}_${lang}`, {
            steps: () => steps(labels),
        });
    }
}
