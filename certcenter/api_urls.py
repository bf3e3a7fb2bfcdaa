from django.urls import path

from certcenter import api

urlpatterns = [
    path("certcenter/certificates/", api.CertificateListApi.as_view(), name="certcenter-api-list"),
    path(
        "certcenter/certificates/issue/",
        api.CertificateIssueApi.as_view(),
        name="certcenter-api-issue",
    ),
    path(
        "certcenter/certificates/<str:serial>/reissue/",
        api.CertificateReissueApi.as_view(),
        name="certcenter-api-reissue",
    ),
    path(
        "certcenter/certificates/<str:serial>/renew/",
        api.CertificateRenewApi.as_view(),
        name="certcenter-api-renew",
    ),
    path(
        "certcenter/certificates/<str:serial>/discard/",
        api.CertificateDiscardApi.as_view(),
        name="certcenter-api-discard",
    ),
    path(
        "certcenter/certificates/<str:serial>/hold/",
        api.CertificateHoldApi.as_view(),
        name="certcenter-api-hold",
    ),
    path(
        "certcenter/certificates/<str:serial>/restore/",
        api.CertificateRestoreApi.as_view(),
        name="certcenter-api-restore",
    ),
    path(
        "certcenter/login/challenge/",
        api.LoginChallengeApi.as_view(),
        name="certcenter-api-login-challenge",
    ),
    path("certcenter/login/", api.CertificateLoginApi.as_view(), name="certcenter-api-login"),
    path(
        "certcenter/dormancy/challenge/",
        api.DormancyLiftChallengeApi.as_view(),
        name="certcenter-api-dormancy-challenge",
    ),
    path(
        "certcenter/dormancy/certificate/",
        api.DormancyLiftCertificateApi.as_view(),
        name="certcenter-api-dormancy-certificate",
    ),
    path(
        "certcenter/dormancy/lift/",
        api.DormancyLiftApi.as_view(),
        name="certcenter-api-dormancy-lift",
    ),
    path("certcenter/copy/sessions/", api.CopyStartApi.as_view(), name="certcenter-api-copy-start"),
    path(
        "certcenter/copy/sessions/<int:session_id>/",
        api.CopySessionApi.as_view(),
        name="certcenter-api-copy-session",
    ),
    path("certcenter/copy/send/", api.CopySendApi.as_view(), name="certcenter-api-copy-send"),
    path(
        "certcenter/copy/receive/", api.CopyReceiveApi.as_view(), name="certcenter-api-copy-receive"
    ),
    path(
        "certcenter/foreign/challenge/",
        api.ForeignChallengeApi.as_view(),
        name="certcenter-api-foreign-challenge",
    ),
    path("certcenter/foreign/", api.ForeignRegisterApi.as_view(), name="certcenter-api-foreign"),
    path(
        "certcenter/signatures/verify/",
        api.SignatureCheckApi.as_view(),
        name="certcenter-api-signature-verify",
    ),
]
