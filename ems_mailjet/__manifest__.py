{
    "name": "Mailjet Campaign Sync (ems)",
    "summary": "Keep campaign participants in two-way sync with Mailjet contact lists",
    "version": "18.0.1.1.0",
    "category": "Marketing/Email Marketing",
    "author": "ems_mailjet developers",
    "website": "https://github.com/ems/ems_mailjet",
    "license": "LGPL-3",
    "depends": ["base", "mail", "contacts", "hr", "utm"],
    "external_dependencies": {
        "python": ["mailjet-rest>=1.9.1", "tenacity>=8.2", "email-validator>=2.3"]
    },
    "data": [
        "security/ems_mailjet_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron_data.xml",
        "wizards/ems_consent_resubscribe_views.xml",
        "wizards/ems_mailjet_gdpr_erase_views.xml",
        "views/ems_mailjet_sync_run_views.xml",
        "views/ems_interface_views.xml",
        "views/ems_campaign_participant_views.xml",
        "views/ems_mailjet_sync_run_line_views.xml",
        "views/utm_campaign_views.xml",
        "views/res_partner_views.xml",
        "views/hr_employee_views.xml",
        "views/res_config_settings_views.xml",
        "views/ems_mailjet_menus.xml",
        "views/ems_mailjet_gdpr_views.xml",
        "report/ems_participant_consent_report.xml",
    ],
    "demo": [
        "demo/ems_mailjet_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "ems_mailjet/static/tests/tours/*.js",
        ],
    },
    "application": True,
    "development_status": "Alpha",
    "maintainers": ["ems"],
}
