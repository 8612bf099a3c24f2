/*
 * rop_samples.h - a minimal valid request for every ROP a client may send
 * (MS-OXCROPS 2.2.3 to 2.2.15; more than one for ROPs with optional
 * fields), as hex, header included.  Handle indexes: input 01, dest 02,
 * output 03, response 04.  test_ropinfo checks that each is read exactly
 * and that every prefix of each is refused; test_rop_engine sends them
 * through the engine with bad handles, wrong objects, cut short and with
 * oversized counts.
 */
#ifndef ROP_SAMPLES_H
#define ROP_SAMPLES_H

#define Z8 "00 00 00 00 00 00 00 00 "
#define Z16 Z8 Z8
#define Z24 Z16 Z8
static const char *const mh_rop_samples[] = {
    "01 00 01",                                              /* RopRelease */
    "02 00 01 03 " Z8 "00",                                  /* RopOpenFolder */
    "03 00 01 03 ff 0f " Z8 "01 " Z8,                        /* RopOpenMessage */
    "04 00 01 03 00", "05 00 01 03 40",
    "06 00 01 03 ff 0f " Z8 "00",                            /* RopCreateMessage */
    "07 00 01 00 00 00 00 01 00 1f 00 37 00",                /* RopGetPropertiesSpecific */
    "08 00 01 00 00 01 00", "09 00 01",
    "0a 00 01 0a 00 01 00 03 00 07 0e 01 00 00 00",          /* RopSetProperties */
    "0b 00 01 01 00 1f 00 37 00",
    "0c 00 04 01 0a",                                        /* RopSaveChangesMessage */
    "0d 00 01 00 00 00 00",
    /* RopModifyRecipients: one column (PR_DISPLAY_NAME_W), one row:
     * SMTP|D|U, DisplayName "A", one column value "B" */
    "0e 00 01 01 00 1f 00 01 30 01 00 00 00 00 00 01 0d 00 "
    "13 02 41 00 00 00 01 00 00 42 00 00 00",
    /* a row of size 0 removes a recipient */
    "0e 00 01 00 00 01 00 05 00 00 00 01 00 00",
    "0f 00 01 00 00 00 00 00 00", "10 00 01 00 00",
    "11 00 04 01 01",                                        /* RopSetMessageReadFlag */
    "12 00 01 00 01 00 1f 00 37 00",
    "13 00 01 00 01 00 00 00 00 00 40 00 06 0e 01",          /* RopSortTable */
    "13 00 01 00 02 00 01 00 01 00 1f 00 1d 0e 00 40 00 06 0e 01",
    "14 00 01 00 0e 00 04 04 03 00 1a 00 03 00 1a 00 07 00 00 00", /* RopRestrict */
    "14 00 01 00 00 00",                                     /* no restriction */
    "15 00 00 00 01 32 00",                                  /* MS-OXCTABL 4.5.3.1 */
    "16 00 01", "17 00 01", "18 00 01 00 05 00 00 00 01",
    "19 00 01 02 00 aa bb 00 00 00 00 00",                   /* RopSeekRowBookmark */
    "1a 00 01 01 00 00 00 02 00 00 00", "1b 00 01",
    "1c 00 01 03 01 00 00 00 46 00 00",                      /* RopCreateFolder, 8-bit */
    "1c 00 01 03 01 01 00 00 46 00 00 00 00 00",             /* RopCreateFolder, UTF-16 */
    "1d 00 01 00 " Z8,
    "1e 00 01 00 00 01 00 " Z8,                              /* RopDeleteMessages */
    "1f 00 01 " Z8, "20 00 01 " Z16,
    "21 00 01 03 00", "22 00 01 03 00 00 00 00 00", "23 00 01 03", "24 00 01 00 00 00 00",
    "25 00 04 01 0a",
    "26 00 01 " Z8 "49 50 4d 00", "27 00 01 49 50 4d 00",
    "29 00 01 03 04 00 00 " Z16,                             /* RopRegisterNotification */
    "29 00 01 03 04 00 01",
    "2b 00 01 03 02 01 09 10 00",
    "2c 00 01 00 10", "2c 00 01 be ba 00 00 01 00",          /* RopReadStream */
    "2d 00 01 02 00 61 62", "2e 00 01 00 " Z8, "2f 00 01 " Z8,
    "30 00 01 05 00 08 03 00 1a 00 01 00 " Z8 "00 00 00 00", /* RopSetSearchCriteria */
    "31 00 01 00 01 01", "32 00 01 00",
    "33 00 01 02 01 00 " Z8 "00 01",                         /* RopMoveCopyMessages */
    "34 00 01 " Z16,
    /* MS-OXCFOLD 4.5.1: RopMoveFolder */
    "35 00 01 02 01 01 01 00 00 00 0e 8e df 36 46 00 6f 00 6c 00 64 00 65 00 72 00 31 00 00 00",
    "36 00 01 02 00 01 00 " Z8 "46 00",                      /* RopCopyFolder */
    "37 00 01", "38 00 01",
    "39 00 01 02 00 00 00 01 00 1f 00 37 00",                /* RopCopyTo */
    "3a 00 01 02 " Z8, "3b 00 01 03", "3e 00 01 03 00", "3f 00 01 03 00",
    "40 00 01 00 01 00 01 01 00 03 00 73 66 00 00 00 00",    /* RopModifyPermissions */
    "41 00 01 00 01 00 01 01 00 03 00 76 66 0a 00 00 00",    /* RopModifyRules */
    "42 00 01 " Z8, "43 00 01 " Z8, "44 00 01 " Z24, "45 00 01 " Z8,
    "46 00 01 03 ff 0f 00", "47 00 01", "48 00 01 " Z8 "01", "49 00 01", "4a 00 01",
    "4b 00 01 03 01 00 " Z8 "00 00",
    "4c 00 01 03 00 00",
    "4d 00 01 03 00 00 00 00 00 01 00 00",
    "4e 00 01 00 10", "4e 00 01 be ba 00 80",                /* RopFastTransferSourceGetBuffer */
    "4f 00 01 00 00 00 00 00 00",                            /* RopFindRow */
    "4f 00 01 00 05 00 08 03 00 1a 00 01 02 00 aa bb",
    "50 00 01 00",
    "51 00 01 " Z16 "49 50 4d 00 00 00 00 00",               /* RopTransportNewMail */
    "52 00 01", "53 00 01 03 01 00", "54 00 01 01 00 ff",
    "55 00 01 01 00 01 80",
    /* RopGetPropertyIdsFromNames: MNID_ID, MNID_STRING "A" */
    "56 00 01 02 02 00 00 " Z16 "01 80 00 00 01 " Z16 "04 41 00 00 00",
    "57 00 01 01 00 aa 02 00 bb cc",
    "58 00 01 00 00", "59 00 01 10 00 " Z8, "5a 00 01 " Z8,
    "5b 00 01 " Z16 "00 00 00 00", "5c 00 01 " Z16 "00 00 00 00",
    "5d 00 01", "5e 00 01",
    "5f 00 01 00 00", "5f 00 01 00 01 " Z16,                 /* RopQueryNamedProperties */
    "60 00 01 " Z16, "61 00 01 " Z24, "63 00 01 " Z24 "00 00 00 00 00 00 10",
    "64 00 01 " Z24 "01 00 00 00 00 01 00 aa " Z16,          /* RopWritePerUserInformation */
    "64 00 01 " Z24 "01 10 00 00 00 00 00",
    "66 00 01 00 00 01 00 " Z8,                              /* RopSetReadFlags */
    "67 00 01 02 00 00 00 00",                               /* RopCopyProperties */
    "68 00 01", "69 00 01 03 00 00 00 00 00",
    "6b 00 01 " Z8 "00 00 00 00", "6c 00 01 00 00", "6d 00 01",
    "6f 00 01 53 4d 54 50 00 01",                            /* RopOptionsData */
    "70 00 01 03 01 00 00 00 00 00 00 00 00 00 00 00",       /* RopSynchronizationConfigure */
    "70 00 01 03 01 00 00 00 05 00 08 03 00 1a 00 00 00 00 00 01 00 1f 00 37 00",
    "72 00 01 03 00 00 00",
    "73 00 01 00 00 00 00",
    "74 00 01 00 01 00 02 11 00 00 01 00 00 00 01 00 aa",    /* RopSynchronizationImportDeletes */
    "75 00 01 " Z8, "76 00 01 02 00 00 00 aa bb", "77 00 01",
    "78 00 01 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa 01 00 00 00 aa",
    "79 00 01 0a 00 01 00 03 00 07 0e 01 00 00 00",
    "7a 00 01 01 00 1f 00 37 00", "7b 00 01",
    "7e 00 01 03 01", "7f 00 01 00 00 00 00",
    "80 00 01 04 00 01 00 aa 01",                            /* RopSynchronizationImportReadStateChanges */
    "81 00 01", "82 00 01 03", "86 00 01 00 00 00 00 00 00",
    "89 00 01 01 00 aa", "90 00 01 01 00 aa",
    "91 00 01 00 00 01 00 " Z8, "92 00 01 00 00",
    "93 00 01 34 00 01 00 00 00 " Z24 Z24,                   /* RopSetLocalReplicaMidsetDeleted */
    "9d 00 01 01 00 aa", "a3 00 01 01 00 aa",
    "fe 00 03 01 00 00 00 00 00 00 00 00 02 00 61 00",       /* RopLogon */
    "fe 00 03 01 00 00 00 00 00 00 00 00 00 00",
};

#define MH_ROP_SAMPLE_COUNT (sizeof(mh_rop_samples) / sizeof(mh_rop_samples[0]))

#endif
