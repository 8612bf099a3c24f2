/*
 * lmdb_backend.c - the LMDB backend's mh_backend: every slot, filled with
 * designated initializers.
 */
#include "lmdb_be.h"

const mh_backend mh_lmdb_backend = {
    MH_BACKEND_HEADER,
    .name = "lmdb",
    .version = "1.0",
    .capabilities = MH_BCAP_DIRECTORY_WRITE | MH_BCAP_PASSWORDS,
    .sort_tags = lbe_sort_tags,

    .instance_create = lbe_instance_create,
    .instance_prepare = lbe_instance_prepare,
    .instance_open = lbe_instance_open,

    .txn_begin = lbe_txn_begin,
    .txn_commit = lbe_txn_commit,
    .txn_abort = lbe_txn_abort,

    .dir_get = lbe_dir_get,
    .dir_find = lbe_dir_find,
    .dir_list = lbe_dir_list,
    .dir_count = lbe_dir_count,
    .dir_search = lbe_dir_search,
    .dir_members = lbe_dir_members,
    .dir_password = lbe_dir_password,
    .dir_put = lbe_dir_put,
    .dir_delete = lbe_dir_delete,
    .dir_set_members = lbe_dir_set_members,

    .mailbox_create = lbe_mailbox_create,
    .mailbox_delete = lbe_mailbox_delete,
    .mailbox_info = lbe_mailbox_info,
    .mailbox_set_special = lbe_mailbox_set_special,
    .mailbox_list = lbe_mailbox_list,
    .id_reserve = lbe_id_reserve,

    .props_get = lbe_props_get,
    .props_set = lbe_props_set,
    .value_read = lbe_value_read,

    .folder_create = lbe_folder_create,
    .folder_info = lbe_folder_info,
    .folder_children = lbe_folder_children,
    .folder_find = lbe_folder_find,
    .folder_move = lbe_folder_move,
    .folder_delete = lbe_folder_delete,
    .contents_list = lbe_contents_list,

    .message_info = lbe_message_info,
    .message_read = lbe_message_read,
    .message_save = lbe_message_save,
    .message_delete = lbe_message_delete,
    .message_move = lbe_message_move,
    .message_set_read = lbe_message_set_read,

    .changes_list = lbe_changes_list,
    .object_by_source_key = lbe_object_by_source_key,

    .named_ids = lbe_named_ids,
    .named_names = lbe_named_names,
    .named_list = lbe_named_list,

    .permissions_get = lbe_permissions_get,
    .permissions_set = lbe_permissions_set,
    .rules_get = lbe_rules_get,
    .rules_set = lbe_rules_set,
    .receive_folders_get = lbe_receive_folders_get,
    .receive_folder_set = lbe_receive_folder_set,

    .check = lbe_check,

    .peruser_get = lbe_peruser_get,
    .peruser_list = lbe_peruser_list,
    .peruser_set = lbe_peruser_set,
    .dir_generation = lbe_dir_generation,
};
