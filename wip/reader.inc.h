/* WIP (reader helper): JSON reader (token walker over jsmn) and response
   parser implementing xbl_mpsd__session_load. */
